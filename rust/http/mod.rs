//! HTTP/1.1 request heads, body framing and the chunked coding (RFC 9112).

/// Default cap on a whole request head (request line and header fields): 64 KiB.
pub const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;
