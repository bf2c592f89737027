//! `MultipartLimits`: every cap the multipart scanner enforces, its default, and why.
//!
//! Each cap is checked at the byte that breaks it, before that byte is buffered or handed out, so
//! a peer can never make the scanner hold more than the limits allow, and the same input fails at
//! the same place however it was split.

use crate::http::HttpLimits;

/// Default cap on the boundary: RFC 2046 §5.1.1 allows 1 to 70 characters.
pub const DEFAULT_MAX_BOUNDARY_SIZE: usize = 70;
/// Default cap on one part header line, CRLF included; the figure python-multipart and multipart
/// (defnull) adopted after CVE-2026-42561.
pub const DEFAULT_MAX_PART_HEADER_LINE_SIZE: usize = 4224;
/// Default cap on the header fields of one part. Browsers send two (Content-Disposition and
/// Content-Type).
pub const DEFAULT_MAX_PART_HEADER_COUNT: usize = 8;
/// Default cap on one part's whole header section, the empty line included.
pub const DEFAULT_MAX_PART_HEADERS_SIZE: usize = 8 * 1024;
/// Default cap on the number of parts (aiohttp and Starlette allow 1000 form fields too).
pub const DEFAULT_MAX_PARTS: usize = 1000;
/// Default cap on the preamble, the bytes before the first delimiter (Ktor allows 8193).
pub const DEFAULT_MAX_PREAMBLE_SIZE: usize = 8 * 1024;
/// Default cap on the epilogue, the bytes after the close delimiter line.
pub const DEFAULT_MAX_EPILOGUE_SIZE: usize = 8 * 1024;

/// The caps of the multipart scanner. `Default` gives the documented defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Longest boundary accepted from a Content-Type: 400 (`BoundaryTooLong`).
    pub max_boundary_size: usize,
    /// Longest part header line, CRLF included; also caps a delimiter line with its transport
    /// padding: 413.
    pub max_header_line_size: usize,
    /// Most header fields in one part: 413.
    pub max_header_count: usize,
    /// Longest header section of one part, through its empty line: 413.
    pub max_headers_size: usize,
    /// Most parts in one body: 413.
    pub max_parts: usize,
    /// Longest content of one part; `None` is unbounded: 413.
    pub max_part_size: Option<u64>,
    /// Longest preamble: 413.
    pub max_preamble_size: usize,
    /// Longest epilogue: 413.
    pub max_epilogue_size: usize,
    /// Accept a bare LF as the end of a part header line. Never in the delimiter lines, which
    /// frame the body.
    pub allow_bare_lf: bool,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self {
            max_boundary_size: DEFAULT_MAX_BOUNDARY_SIZE,
            max_header_line_size: DEFAULT_MAX_PART_HEADER_LINE_SIZE,
            max_header_count: DEFAULT_MAX_PART_HEADER_COUNT,
            max_headers_size: DEFAULT_MAX_PART_HEADERS_SIZE,
            max_parts: DEFAULT_MAX_PARTS,
            max_part_size: None,
            max_preamble_size: DEFAULT_MAX_PREAMBLE_SIZE,
            max_epilogue_size: DEFAULT_MAX_EPILOGUE_SIZE,
            allow_bare_lf: false,
        }
    }
}

impl MultipartLimits {
    /// The HTTP limits under which the shared field-line scanner reads a part's header section.
    pub(crate) fn header_limits(&self) -> HttpLimits {
        HttpLimits {
            max_header_line_size: self.max_header_line_size,
            max_head_size: self.max_headers_size,
            max_header_count: self.max_header_count,
            allow_bare_lf: self.allow_bare_lf,
            ..HttpLimits::default()
        }
    }
}
