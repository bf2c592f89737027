//! Finding the end of a head as bytes arrive, with every head limit checked on the way.
//!
//! A head is a start line, field lines, and an empty line (RFC 9112 §2.1):
//! `HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]`.
//! The scanner remembers how far it got, so a head that arrives one byte per read costs O(n)
//! in total, not O(n²) (h11's `_receivebuffer.py` does the same). httparse runs once, on the
//! complete head.
//!
//! Each check fires at a fixed byte position, whatever the reads were: a line's LF must fall within
//! its first `limit` bytes, the head's final LF within its first `max_head_size` bytes, and the
//! per-line rules (bare LF, obs-fold, field count) are decided at that line's LF. So the first
//! violation in byte order is the one reported, however the input was split. Rules httparse does
//! not enforce are checked here:
//! - bare LF: "a recipient MAY recognize a single LF as a line terminator" (RFC 9112 §2.2); we
//!   only do when `allow_bare_lf` is set;
//! - obs-fold: "A server that receives an obs-fold in a request message ... MUST either reject the
//!   message by sending a 400 ... or replace each received obs-fold with one or more SP octets"
//!   (RFC 9112 §5.2); we reject, in requests and responses alike.

use memchr::memchr;

use super::error::HttpError;
use super::limits::HttpLimits;

/// Which start line a head begins with, so its limit and error can be picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartLine {
    /// A request line, capped by `max_request_line_size` (414).
    Request,
    /// A status line, capped by `max_header_line_size` (431).
    Status,
    /// No start line: a block of field lines alone, such as the header section of a multipart
    /// body part (RFC 2046 §5.1.1), which may even be empty (its first line is the empty line).
    Absent,
}

/// How far the search for the end of one head has got.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScanner {
    /// Bytes of the head already looked at.
    pos: usize,
    /// Where the line being scanned begins.
    line_start: usize,
    /// Complete lines so far, the start line included.
    lines: usize,
}

impl HeadScanner {
    /// Whether no byte of a head has been scanned yet.
    pub(crate) fn is_fresh(&self) -> bool {
        self.pos == 0
    }

    /// The number of field lines in the head found by the last successful `scan`.
    pub(crate) fn field_lines(&self) -> usize {
        self.lines.saturating_sub(1)
    }

    /// Looks for the end of the head that starts at `head[0]`, resuming where the previous call on
    /// a prefix of `head` stopped. `Ok(Some(n))`: the head is `head[..n]`; `Ok(None)`: more bytes
    /// are needed. Call `reset` before scanning the next head.
    pub(crate) fn scan(
        &mut self,
        head: &[u8],
        limits: &HttpLimits,
        kind: StartLine,
    ) -> Result<Option<usize>, HttpError> {
        if self.lines == 0 && kind == StartLine::Absent {
            // A field block is a head whose start line is already behind it.
            self.lines = 1;
        }
        loop {
            let (line_limit, line_error) = match (self.lines, kind) {
                (0, StartLine::Request) => {
                    (limits.max_request_line_size, HttpError::RequestLineTooLong)
                }
                _ => (limits.max_header_line_size, HttpError::FieldLineTooLong),
            };
            let line_bound = self.line_start.saturating_add(line_limit);
            let window_end = head.len().min(line_bound).min(limits.max_head_size);
            let Some(found) = memchr(b'\n', head.get(self.pos..window_end).unwrap_or_default())
            else {
                self.pos = window_end.max(self.pos);
                if window_end == line_bound {
                    return Err(line_error);
                }
                if window_end == limits.max_head_size {
                    return Err(HttpError::HeadTooLarge);
                }
                return Ok(None);
            };
            let lf = self.pos + found;
            let line = &head[self.line_start..lf];
            let has_cr = line.last() == Some(&b'\r');
            if !has_cr && !limits.allow_bare_lf {
                return Err(HttpError::BareLineFeed);
            }
            if self.lines > 0 {
                if line.len() == usize::from(has_cr) {
                    return Ok(Some(lf + 1));
                }
                if matches!(line[0], b' ' | b'\t') {
                    return Err(HttpError::ObsoleteLineFolding);
                }
                if self.lines > limits.max_header_count {
                    return Err(HttpError::TooManyFields);
                }
            }
            self.lines += 1;
            self.line_start = lf + 1;
            self.pos = lf + 1;
        }
    }

    /// Forgets the head just found, ready for the next one.
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }
}

/// How many bytes of empty lines (CRLF, or LF when bare LF is allowed) start `input`, and whether
/// the input ends in the middle of one (a lone CR). RFC 9112 §2.2: "a server that is expecting to
/// receive and parse a request-line SHOULD ignore at least one empty line (CRLF) received prior to
/// the request-line."
pub(crate) fn skip_empty_lines(input: &[u8], allow_bare_lf: bool) -> (usize, bool) {
    let mut pos = 0;
    loop {
        match &input[pos..] {
            [b'\r', b'\n', ..] => pos += 2,
            [b'\n', ..] if allow_bare_lf => pos += 1,
            [b'\r'] => return (pos, true),
            _ => return (pos, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(input: &[u8], limits: &HttpLimits) -> Result<Option<usize>, HttpError> {
        HeadScanner::default().scan(input, limits, StartLine::Request)
    }

    fn scan_bytewise(input: &[u8], limits: &HttpLimits) -> Result<Option<usize>, HttpError> {
        let mut scanner = HeadScanner::default();
        let mut last = Ok(None);
        for end in 1..=input.len() {
            last = scanner.scan(&input[..end], limits, StartLine::Request);
            if !matches!(last, Ok(None)) {
                break;
            }
        }
        last
    }

    #[test]
    fn finds_the_empty_line() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let limits = HttpLimits::default();
        assert_eq!(scan_all(head, &limits), Ok(Some(head.len() - 4)));
        assert_eq!(scan_bytewise(head, &limits), Ok(Some(head.len() - 4)));
    }

    #[test]
    fn limits_fire_at_the_same_byte_whatever_the_split() {
        let limits = HttpLimits {
            max_request_line_size: 16,
            max_header_line_size: 10,
            max_head_size: 30,
            max_header_count: 1,
            ..HttpLimits::default()
        };
        let cases: [(&[u8], HttpError); 5] = [
            (
                b"GET /0123456789 HTTP/1.1\r\n\r\n",
                HttpError::RequestLineTooLong,
            ),
            (
                b"GET / HTTP/1.1\r\nA: 0123456789\r\n\r\n",
                HttpError::FieldLineTooLong,
            ),
            (
                b"GET / HTTP/1.1\r\nA:1\r\nB:2\r\n\r\n",
                HttpError::TooManyFields,
            ),
            (
                b"GET / HTTP/1.1\r\nA: 12345\r\nB: 1234",
                HttpError::HeadTooLarge,
            ),
            (
                b"GET / HTTP/1.1\r\n B: 2\r\n\r\n",
                HttpError::ObsoleteLineFolding,
            ),
        ];
        for (input, error) in cases {
            assert_eq!(scan_all(input, &limits), Err(error));
            assert_eq!(scan_bytewise(input, &limits), Err(error));
        }
    }

    #[test]
    fn bare_lf_only_when_allowed() {
        let head = b"GET / HTTP/1.1\nHost: a\n\n";
        assert_eq!(
            scan_all(head, &HttpLimits::default()),
            Err(HttpError::BareLineFeed)
        );
        let lenient = HttpLimits {
            allow_bare_lf: true,
            ..HttpLimits::default()
        };
        assert_eq!(scan_all(head, &lenient), Ok(Some(head.len())));
    }

    #[test]
    fn leading_empty_lines_are_skipped() {
        assert_eq!(skip_empty_lines(b"\r\n\r\nGET", false), (4, false));
        assert_eq!(skip_empty_lines(b"\r\n\r", false), (2, true));
        assert_eq!(skip_empty_lines(b"\n\r\nG", false), (0, false));
        assert_eq!(skip_empty_lines(b"\n\r\nG", true), (3, false));
    }

    #[test]
    fn a_field_block_has_no_start_line() {
        let limits = HttpLimits {
            max_header_count: 1,
            ..HttpLimits::default()
        };
        let mut scanner = HeadScanner::default();
        assert_eq!(
            scanner.scan(b"\r\nbody", &limits, StartLine::Absent),
            Ok(Some(2))
        );
        assert_eq!(scanner.field_lines(), 0);
        let mut scanner = HeadScanner::default();
        assert_eq!(
            scanner.scan(b"A: 1\r\n\r\n", &limits, StartLine::Absent),
            Ok(Some(8))
        );
        assert_eq!(scanner.field_lines(), 1);
        assert_eq!(
            HeadScanner::default().scan(b"A: 1\r\nB: 2\r\n\r\n", &limits, StartLine::Absent),
            Err(HttpError::TooManyFields)
        );
    }
}
