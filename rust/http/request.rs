//! The request head (RFC 9112 §3): request line and header section, parsed by httparse.
//!
//! `request-line = method SP request-target SP HTTP-version`, single spaces only. httparse checks
//! the tokens, rejects bare CR, NUL and other controls, obs-fold and whitespace before a colon in
//! requests. What it lets through is checked here:
//! - the request-target must be printable ASCII (httparse accepts any UTF-8) and have a form its
//!   method allows (§3.2): origin-form `/...`, absolute-form `scheme:...`, authority-form
//!   `host:port` for CONNECT only, asterisk-form `*` for OPTIONS only;
//! - an HTTP-version that is well formed but not 1.0 or 1.1 is told apart from a malformed one, so
//!   `HTTP/1.2` and `HTTP/2.0` get 505 and the rest 400.
//!
//! The framing facts (Content-Length, Transfer-Encoding, Host, Connection, Expect, Upgrade) are
//! derived in `body`.

use std::mem::MaybeUninit;
use std::ops::Range;

use super::body::{self, Framing};
use super::error::HttpError;
use super::headers::Fields;
use super::limits::HttpLimits;

/// Field counts up to this are parsed with httparse's header array on the stack.
const STACK_FIELDS: usize = 32;

/// The HTTP versions wsrs speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// HTTP/1.0: keep-alive only on request, no chunked, no Host requirement.
    Http10,
    /// HTTP/1.1.
    Http11,
}

impl Version {
    /// `"1.0"` or `"1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "1.0",
            Self::Http11 => "1.1",
        }
    }

    fn from_minor(minor: u8) -> Self {
        if minor == 0 {
            Self::Http10
        } else {
            Self::Http11
        }
    }
}

/// A parsed request line and header section, with the facts the pipeline needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    fields: Fields,
    method: Range<usize>,
    target: Range<usize>,
    version: Version,
    pub(crate) framing: Framing,
    keep_alive: bool,
    upgrade: Option<String>,
    expect_continue: bool,
}

impl RequestHead {
    /// The method token, case as sent.
    pub fn method(&self) -> &str {
        self.head_str(self.method.clone())
    }

    /// The request-target as sent (printable ASCII).
    pub fn target(&self) -> &str {
        self.head_str(self.target.clone())
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields, in arrival order.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Whether the client allows another request on this connection: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The Upgrade field value (lines joined with ", ") when Connection lists `upgrade` in an
    /// HTTP/1.1 request ("A server MUST ignore an Upgrade header field that is received in an
    /// HTTP/1.0 request", RFC 9110 §7.8).
    pub fn upgrade(&self) -> Option<&str> {
        self.upgrade.as_deref()
    }

    /// Whether `Expect: 100-continue` was sent in an HTTP/1.1 request.
    pub fn expect_continue(&self) -> bool {
        self.expect_continue
    }

    /// The declared Content-Length, when the body is framed by one.
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::Chunked | Framing::None => None,
        }
    }

    /// Whether the body is chunked.
    pub fn chunked(&self) -> bool {
        self.framing == Framing::Chunked
    }

    /// Whether the parser pauses after this request: an upgrade request, or CONNECT, after which
    /// the bytes belong to another protocol.
    pub fn switches_protocol(&self) -> bool {
        self.upgrade.is_some() || self.method() == "CONNECT"
    }

    fn head_str(&self, range: Range<usize>) -> &str {
        std::str::from_utf8(&self.fields.bytes()[range]).unwrap_or_default()
    }
}

/// Parses a complete head (`head` ends with its empty line) holding `field_count` field lines.
pub(crate) fn parse_request_head(
    head: &[u8],
    field_count: usize,
    limits: &HttpLimits,
) -> Result<RequestHead, HttpError> {
    if field_count <= STACK_FIELDS {
        let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK_FIELDS];
        parse_with(head, &mut storage[..field_count], limits)
    } else {
        let mut storage = Vec::with_capacity(field_count);
        storage.resize_with(field_count, MaybeUninit::uninit);
        parse_with(head, &mut storage, limits)
    }
}

fn parse_with<'b>(
    head: &'b [u8],
    storage: &mut [MaybeUninit<httparse::Header<'b>>],
    limits: &HttpLimits,
) -> Result<RequestHead, HttpError> {
    let mut request = httparse::Request::new(&mut []);
    let parsed = request.parse_with_uninit_headers(head, storage);
    match parsed {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Ok(_) => return Err(HttpError::InvalidLineEnding),
        Err(e) => return Err(version_error(head, &request).unwrap_or(map_httparse_error(e))),
    }
    let (Some(method), Some(target), Some(minor)) = (request.method, request.path, request.version)
    else {
        return Err(HttpError::InvalidRequestLine);
    };
    check_target(method, target.as_bytes())?;
    let origin = head.as_ptr() as usize;
    let method_range = offset_of(origin, method.as_bytes());
    let target_range = offset_of(origin, target.as_bytes());
    let version = Version::from_minor(minor);
    let fields = Fields::from_httparse(head, request.headers);
    let facts = body::analyse(method, version, &fields, limits)?;
    Ok(RequestHead {
        fields,
        method: method_range,
        target: target_range,
        version,
        framing: facts.framing,
        keep_alive: facts.keep_alive,
        upgrade: facts.upgrade,
        expect_continue: facts.expect_continue,
    })
}

/// Maps httparse's verdict on a head onto the rule it broke.
pub(crate) fn map_httparse_error(error: httparse::Error) -> HttpError {
    match error {
        httparse::Error::HeaderName => HttpError::InvalidFieldName,
        httparse::Error::HeaderValue => HttpError::InvalidFieldValue,
        httparse::Error::NewLine => HttpError::InvalidLineEnding,
        httparse::Error::Status => HttpError::InvalidStatusLine,
        httparse::Error::TooManyHeaders => HttpError::TooManyFields,
        httparse::Error::Version => HttpError::InvalidHttpVersion,
        httparse::Error::Token => HttpError::InvalidRequestLine,
    }
}

fn offset_of(origin: usize, part: &[u8]) -> Range<usize> {
    let start = part.as_ptr() as usize - origin;
    start..start + part.len()
}

/// httparse only knows 1.0 and 1.1, and reports `HTTP/1.10` as a bad line ending. Once the
/// method and target are known, the version is whatever follows them up to the line end:
/// "HTTP-version = HTTP-name "/" DIGIT "." DIGIT" (§2.3), so a version of that shape other than
/// 1.0 and 1.1 is unsupported (505) and anything else is malformed (400).
fn version_error(head: &[u8], request: &httparse::Request<'_, '_>) -> Option<HttpError> {
    let (Some(method), Some(target)) = (request.method, request.path) else {
        return None;
    };
    let start = method.len() + 1 + target.len() + 1;
    let rest = head.get(start..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(rest.len());
    match &rest[..end] {
        b"HTTP/1.0" | b"HTTP/1.1" => None,
        v if is_version_shaped(v) => Some(HttpError::UnsupportedHttpVersion),
        _ => Some(HttpError::InvalidHttpVersion),
    }
}

/// Whether `v` is `HTTP/DIGIT.DIGIT`.
pub(crate) fn is_version_shaped(v: &[u8]) -> bool {
    matches!(v, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

/// The request-target forms of RFC 9112 §3.2, each only with the methods that may use it.
fn check_target(method: &str, target: &[u8]) -> Result<(), HttpError> {
    // httparse has already refused controls, SP and DEL; it lets UTF-8 through.
    if !target.is_ascii() {
        return Err(HttpError::InvalidRequestTarget);
    }
    let ok = if method == "CONNECT" {
        is_authority_form(target)
    } else if target == b"*" {
        method == "OPTIONS"
    } else {
        target[0] == b'/' || is_absolute_form(target)
    };
    if ok {
        Ok(())
    } else {
        Err(HttpError::InvalidRequestTarget)
    }
}

/// `scheme ":" ...` where `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` (RFC 3986 §3.1).
fn is_absolute_form(target: &[u8]) -> bool {
    let Some(colon) = target.iter().position(|&b| b == b':') else {
        return false;
    };
    let scheme = &target[..colon];
    scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `uri-host ":" port` (RFC 9112 §3.2.3), the port being one or more digits.
fn is_authority_form(target: &[u8]) -> bool {
    let Some(colon) = target.iter().rposition(|&b| b == b':') else {
        return false;
    };
    let (host, port) = (&target[..colon], &target[colon + 1..]);
    !host.is_empty()
        && body::is_host_value(host)
        && !port.is_empty()
        && port.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_the_right_shape_are_unsupported_not_malformed() {
        assert!(is_version_shaped(b"HTTP/1.2"));
        assert!(is_version_shaped(b"HTTP/2.0"));
        assert!(!is_version_shaped(b"HTTP/1.10"));
        assert!(!is_version_shaped(b"HTPT/1.1"));
    }

    #[test]
    fn target_forms_follow_the_method() {
        assert_eq!(check_target("GET", b"/a?b"), Ok(()));
        assert_eq!(check_target("GET", b"http://a/b"), Ok(()));
        assert_eq!(check_target("OPTIONS", b"*"), Ok(()));
        assert_eq!(check_target("CONNECT", b"example.com:443"), Ok(()));
        for (method, target) in [
            ("GET", &b"*"[..]),
            ("GET", b"a/b"),
            ("GET", b"1http://a"),
            ("CONNECT", b"/a"),
            ("CONNECT", b"example.com"),
            ("GET", b"/\xc3\xa9"),
        ] {
            assert_eq!(
                check_target(method, target),
                Err(HttpError::InvalidRequestTarget)
            );
        }
    }
}
