//! `HttpLimits`: every cap the HTTP parsers enforce, its default, and why.
//!
//! Limits are checked as bytes arrive, never after buffering: a parser that has seen
//! `max_head_size` bytes without the end of a head fails at that byte, so no limit ever lets a
//! peer make us hold more than it allows. Line limits count the whole line, CRLF included.

/// Default cap on the request line, CRLF included (414 past it). Matches common servers (8 KiB).
pub const DEFAULT_MAX_REQUEST_LINE_SIZE: usize = 8 * 1024;
/// Default cap on one field line, CRLF included (431 past it).
pub const DEFAULT_MAX_HEADER_LINE_SIZE: usize = 8 * 1024;
/// Default cap on a whole head: start line, field lines and the final CRLF (431 past it).
pub const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;
/// Default cap on the number of field lines in a head (431 past it); hyper uses 100 too.
pub const DEFAULT_MAX_HEADER_COUNT: usize = 100;
/// Default cap on a chunk-size line with its extensions, CRLF included (400 past it).
pub const DEFAULT_MAX_CHUNK_SIZE_LINE: usize = 1024;
/// Default cap on the chunk extensions of one body, summed over its chunks (400 past it).
/// Extensions carry nothing we use, so a peer sending many is only spending our CPU.
pub const DEFAULT_MAX_CHUNK_EXTENSIONS_SIZE: usize = 4096;
/// Default cap on a trailer section's field lines, CRLFs included (431 past it).
pub const DEFAULT_MAX_TRAILER_SIZE: usize = 8 * 1024;

/// The caps of the HTTP/1.1 parsers. `Default` gives the documented defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest request line (or status line), CRLF included: 414 (`RequestLineTooLong`).
    pub max_request_line_size: usize,
    /// Longest field line, CRLF included: 431 (`FieldLineTooLong`).
    pub max_header_line_size: usize,
    /// Longest head, from the start line through the empty line: 431 (`HeadTooLarge`).
    pub max_head_size: usize,
    /// Most field lines in one head: 431 (`TooManyFields`).
    pub max_header_count: usize,
    /// Largest body, declared by Content-Length or decoded from chunks; `None` is unbounded.
    pub max_body_size: Option<u64>,
    /// Longest chunk-size line with its extensions, CRLF included: 400.
    pub max_chunk_size_line: usize,
    /// Most chunk-extension bytes in one body, summed: 400.
    pub max_chunk_extensions_size: usize,
    /// Longest trailer section (its field lines with their CRLFs): 431.
    pub max_trailer_size: usize,
    /// Accept a bare LF as the end of a head line (RFC 9112 §2.2 "MAY"). Never in chunked
    /// framing, where a lenient reading is a known smuggling vector (Go CVE-2025-22871).
    pub allow_bare_lf: bool,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_request_line_size: DEFAULT_MAX_REQUEST_LINE_SIZE,
            max_header_line_size: DEFAULT_MAX_HEADER_LINE_SIZE,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_header_count: DEFAULT_MAX_HEADER_COUNT,
            max_body_size: None,
            max_chunk_size_line: DEFAULT_MAX_CHUNK_SIZE_LINE,
            max_chunk_extensions_size: DEFAULT_MAX_CHUNK_EXTENSIONS_SIZE,
            max_trailer_size: DEFAULT_MAX_TRAILER_SIZE,
            allow_bare_lf: false,
        }
    }
}
