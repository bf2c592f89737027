"""Event-loop plumbing, private: wake-ups and tasks cheaper than anyio's (`sync`), the byte
transport under HTTP and WebSocket connections (`transport`), and shared deadlines (`timers`)."""
