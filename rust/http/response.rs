//! Parsing a response head (RFC 9112 §4), for the client side of a WebSocket handshake.
//!
//! `status-line = HTTP-version SP status-code SP [ reason-phrase ]`. The head goes through the
//! same scanner and limits as a request head (the status line is capped by
//! `max_header_line_size`), then httparse. Two httparse leniencies are closed here: a status code
//! below 100 is refused ("status-code = 3DIGIT", and RFC 9110 §15 only defines 100-599 with
//! classes by first digit), and a reason phrase with obs-text is kept (latin-1) rather than
//! dropped.

use std::mem::MaybeUninit;
use std::ops::Range;

use super::error::HttpError;
use super::headers::Fields;
use super::limits::HttpLimits;
use super::request::{is_version_shaped, map_httparse_error, Version};
use super::scan::{skip_empty_lines, HeadScanner, StartLine};

/// A parsed status line and header section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    fields: Fields,
    status: u16,
    reason: Range<usize>,
    version: Version,
}

impl ResponseHead {
    /// The status code, 100..=999.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as sent (latin-1 bytes; may be empty).
    pub fn reason(&self) -> &[u8] {
        &self.fields.bytes()[self.reason.clone()]
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields, in arrival order.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }
}

/// The response head at the start of `data` and the bytes it takes (empty lines before it
/// included), or `None` while it is incomplete.
///
/// # Errors
/// The first rule or limit the head breaks.
pub fn parse_response_head(
    data: &[u8],
    limits: &HttpLimits,
) -> Result<Option<(ResponseHead, usize)>, HttpError> {
    let (skipped, partial) = skip_empty_lines(data, limits.allow_bare_lf);
    if partial {
        return Ok(None);
    }
    let head = &data[skipped..];
    let mut scanner = HeadScanner::default();
    let Some(len) = scanner.scan(head, limits, StartLine::Status)? else {
        return Ok(None);
    };
    let head = &head[..len];
    let count = scanner.field_lines();
    let mut storage = Vec::with_capacity(count);
    storage.resize_with(count, MaybeUninit::uninit);
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        head,
        &mut storage,
    );
    match parsed {
        Ok(httparse::Status::Complete(n)) if n == len => {}
        Ok(_) => return Err(HttpError::InvalidLineEnding),
        Err(httparse::Error::Version) => {
            let version = head.get(..8).unwrap_or_default();
            return Err(
                if is_version_shaped(version) && head.get(8) == Some(&b' ') {
                    HttpError::UnsupportedHttpVersion
                } else {
                    HttpError::InvalidStatusLine
                },
            );
        }
        Err(e) => return Err(map_httparse_error(e)),
    }
    let (Some(minor), Some(status)) = (response.version, response.code) else {
        return Err(HttpError::InvalidStatusLine);
    };
    if status < 100 {
        return Err(HttpError::InvalidStatusLine);
    }
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(0);
    let line_end = if head.get(line_end.wrapping_sub(1)) == Some(&b'\r') {
        line_end - 1
    } else {
        line_end
    };
    let reason = "HTTP/1.1 200 ".len().min(line_end)..line_end;
    let version = if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    let fields = Fields::from_httparse(head, response.headers);
    Ok(Some((
        ResponseHead {
            fields,
            status,
            reason,
            version,
        },
        skipped + len,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &[u8]) -> Result<Option<(ResponseHead, usize)>, HttpError> {
        parse_response_head(data, &HttpLimits::default())
    }

    #[test]
    fn handshake_response() {
        let data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00";
        let Ok(Some((head, n))) = parse(data) else {
            panic!("not parsed")
        };
        assert_eq!(n, data.len() - 2);
        assert_eq!(head.status(), 101);
        assert_eq!(head.reason(), b"Switching Protocols");
        assert_eq!(head.fields().get("upgrade"), Some(&b"websocket"[..]));
        assert_eq!(parse(&data[..20]), Ok(None));
    }

    #[test]
    fn reason_keeps_obs_text_and_may_be_empty() {
        let Ok(Some((head, _))) = parse(b"HTTP/1.1 200 d\xe9j\xe0\r\n\r\n") else {
            panic!()
        };
        assert_eq!(head.reason(), b"d\xe9j\xe0");
        let Ok(Some((head, _))) = parse(b"HTTP/1.0 204\r\n\r\n") else {
            panic!()
        };
        assert_eq!((head.reason(), head.version()), (&b""[..], Version::Http10));
    }

    #[test]
    fn malformed_status_lines() {
        assert_eq!(
            parse(b"HTTP/1.1 000 x\r\n\r\n").err(),
            Some(HttpError::InvalidStatusLine)
        );
        assert_eq!(
            parse(b"HTTP/1.1  200 x\r\n\r\n").err(),
            Some(HttpError::InvalidStatusLine)
        );
        assert_eq!(
            parse(b"HTTP/2.0 200 x\r\n\r\n").err(),
            Some(HttpError::UnsupportedHttpVersion)
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\nA: b\n\n").err(),
            Some(HttpError::BareLineFeed)
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n").err(),
            Some(HttpError::ObsoleteLineFolding)
        );
    }
}
