"""The Rust core of wsrs (built by maturin from `rust/`): byte work only, no I/O and no time."""

__version__: str

# --- WebSocket (RFC 6455) -------------------------------------------------------------------------

DEFAULT_MAX_FRAME_SIZE: int

class CloseReason:
    @property
    def code(self) -> int: ...
    @property
    def message(self) -> str: ...

# --- HTTP/1.1 (RFC 9112) --------------------------------------------------------------------------

DEFAULT_MAX_HEAD_SIZE: int
