//! The WebSocket frame codec (RFC 6455).

/// Default cap on one frame and on one reassembled message: 16 MiB, between aiohttp's 4 MiB and
/// websockets' need for larger uploads; every session can raise or lower it.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
