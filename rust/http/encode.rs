//! Writing heads: status lines, request lines, field lines and the last chunk (RFC 9112 §3, §4,
//! §5, §7.1), each validated so that nothing the caller passes can split a message.
//!
//! Field names must be tokens. Field values and reason phrases may hold VCHAR, obs-text, SP and
//! HTAB only: "Field values containing CR, LF, or NUL characters are invalid and dangerous"
//! (RFC 9110 §5.5), and the other controls are invalid too, so none is written (a CR or LF in a
//! value would be response splitting, uvicorn CVE-2020-7695). Text is written as latin-1; a
//! character above U+00FF is refused rather than mangled.
//!
//! A `HeadPlan` validates and measures first, so a caller can allocate the exact output once and
//! write into it (the Python bindings write straight into a new `bytes`).

use super::error::EncodeError;
use super::headers::is_token;

/// The first line of a head to encode.
#[derive(Clone, Copy, Debug)]
enum StartLine<'a> {
    Status(u16, &'a str),
    Request(&'a str, &'a str),
    LastChunk,
}

/// A validated head with its exact encoded length.
#[derive(Clone, Debug)]
pub struct HeadPlan<'a> {
    start: StartLine<'a>,
    fields: &'a [(&'a str, &'a str)],
    content_length: Option<usize>,
    len: usize,
}

impl<'a> HeadPlan<'a> {
    /// `HTTP/1.1 <status> <reason>` and `fields`; `reason` defaults to the RFC 9110 phrase.
    ///
    /// # Errors
    /// A status outside 100..=999, or a control character in the reason or the fields.
    pub fn response(
        status: u16,
        reason: Option<&'a str>,
        fields: &'a [(&'a str, &'a str)],
    ) -> Result<Self, EncodeError> {
        if !(100..=999).contains(&status) {
            return Err(EncodeError::InvalidStatus);
        }
        let reason = reason.unwrap_or_else(|| reason_phrase(status));
        let reason_len = text_len(reason).ok_or(EncodeError::InvalidReason)?;
        let start = "HTTP/1.1 200 ".len() + reason_len + 2;
        Self::with_fields(StartLine::Status(status, reason), start, fields)
    }

    /// `<method> <target> HTTP/1.1` and `fields`.
    ///
    /// # Errors
    /// A method that is not a token, a target outside printable ASCII, or a bad field.
    pub fn request(
        method: &'a str,
        target: &'a str,
        fields: &'a [(&'a str, &'a str)],
    ) -> Result<Self, EncodeError> {
        if !is_token(method.as_bytes()) {
            return Err(EncodeError::InvalidMethod);
        }
        if target.is_empty() || !target.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(EncodeError::InvalidTarget);
        }
        let start = method.len() + 1 + target.len() + " HTTP/1.1\r\n".len();
        Self::with_fields(StartLine::Request(method, target), start, fields)
    }

    /// The last chunk `0 CRLF`, then `trailers` (the caller adds nothing after the final CRLF).
    ///
    /// # Errors
    /// A bad trailer field.
    pub fn last_chunk(trailers: &'a [(&'a str, &'a str)]) -> Result<Self, EncodeError> {
        Self::with_fields(StartLine::LastChunk, 3, trailers)
    }

    fn with_fields(
        start: StartLine<'a>,
        start_len: usize,
        fields: &'a [(&'a str, &'a str)],
    ) -> Result<Self, EncodeError> {
        let mut len = start_len + 2;
        for (name, value) in fields {
            if !is_token(name.as_bytes()) {
                return Err(EncodeError::InvalidFieldName);
            }
            len += name.len() + 2 + text_len(value).ok_or(EncodeError::InvalidFieldValue)? + 2;
        }
        Ok(Self {
            start,
            fields,
            content_length: None,
            len,
        })
    }

    /// Adds `Content-Length: <body_len>` for a response with content, unless its status has none
    /// ("A server MUST NOT send a Content-Length header field in any response with a status code
    /// of 1xx (Informational) or 204 (No Content)", RFC 9110 §8.6; 304 has no content either).
    ///
    /// # Errors
    /// The fields already frame the body (Content-Length or Transfer-Encoding), or a status
    /// without content was given some.
    pub fn with_content_length(mut self, body_len: usize) -> Result<Self, EncodeError> {
        let framing = |name: &str| {
            name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("transfer-encoding")
        };
        if self.fields.iter().any(|(name, _)| framing(name)) {
            return Err(EncodeError::FramingFieldGiven);
        }
        if let StartLine::Status(status, _) = self.start {
            if status < 200 || status == 204 || status == 304 {
                return if body_len == 0 {
                    Ok(self)
                } else {
                    Err(EncodeError::BodyNotAllowed)
                };
            }
        }
        self.len += "Content-Length: ".len() + decimal_len(body_len) + 2;
        self.content_length = Some(body_len);
        Ok(self)
    }

    /// The exact number of bytes `write` produces.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the head is empty (never: a head has at least its final CRLF).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the head into `out`, which must be exactly `len()` bytes long.
    ///
    /// # Panics
    /// If `out` is not `len()` bytes long.
    pub fn write(&self, out: &mut [u8]) {
        assert_eq!(
            out.len(),
            self.len,
            "HeadPlan::write needs exactly len() bytes"
        );
        let mut w = Writer { out, pos: 0 };
        match self.start {
            StartLine::Status(status, reason) => {
                w.put(b"HTTP/1.1 ");
                w.put_decimal(usize::from(status));
                w.put(b" ");
                w.put_text(reason);
            }
            StartLine::Request(method, target) => {
                w.put(method.as_bytes());
                w.put(b" ");
                w.put(target.as_bytes());
                w.put(b" HTTP/1.1");
            }
            StartLine::LastChunk => w.put(b"0"),
        }
        w.put(b"\r\n");
        for (name, value) in self.fields {
            w.put(name.as_bytes());
            w.put(b": ");
            w.put_text(value);
            w.put(b"\r\n");
        }
        if let Some(n) = self.content_length {
            w.put(b"Content-Length: ");
            w.put_decimal(n);
            w.put(b"\r\n");
        }
        w.put(b"\r\n");
    }

    /// The head as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0; self.len];
        self.write(&mut out);
        out
    }
}

/// Fills a slice front to back.
struct Writer<'o> {
    out: &'o mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.out[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }

    /// Writes validated text as latin-1.
    fn put_text(&mut self, text: &str) {
        if text.is_ascii() {
            self.put(text.as_bytes());
        } else {
            for c in text.chars() {
                self.out[self.pos] = u8::try_from(c).unwrap_or(b'?');
                self.pos += 1;
            }
        }
    }

    fn put_decimal(&mut self, n: usize) {
        let len = decimal_len(n);
        let mut rest = n;
        for slot in self.out[self.pos..self.pos + len].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        self.pos += len;
    }
}

fn decimal_len(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |digits| digits as usize + 1)
}

/// The latin-1 length of `text` if every character is HTAB, SP, VCHAR or obs-text.
fn text_len(text: &str) -> Option<usize> {
    let allowed = |c: u32| c == 0x09 || (0x20..=0xff).contains(&c) && c != 0x7f;
    if text.is_ascii() {
        text.bytes()
            .all(|b| allowed(u32::from(b)))
            .then_some(text.len())
    } else {
        let mut len = 0;
        for c in text.chars() {
            if !allowed(u32::from(c)) {
                return None;
            }
            len += 1;
        }
        Some(len)
    }
}

/// The reason phrase RFC 9110 §15 gives `status`, or "" for a code it does not define.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// A response head: `HTTP/1.1 <status> <reason>`, the fields and the empty line.
///
/// # Errors
/// See `HeadPlan::response`.
pub fn encode_response_head(
    status: u16,
    reason: Option<&str>,
    fields: &[(&str, &str)],
) -> Result<Vec<u8>, EncodeError> {
    Ok(HeadPlan::response(status, reason, fields)?.to_vec())
}

/// A whole response with `Content-Length` added, in one allocation.
///
/// # Errors
/// See `HeadPlan::response` and `HeadPlan::with_content_length`.
pub fn encode_response(
    status: u16,
    fields: &[(&str, &str)],
    body: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let plan = HeadPlan::response(status, None, fields)?.with_content_length(body.len())?;
    let mut out = vec![0; plan.len() + body.len()];
    plan.write(&mut out[..plan.len()]);
    out[plan.len()..].copy_from_slice(body);
    Ok(out)
}

/// What a whole response's connection needs (see `fixed_fields`).
#[derive(Clone, Copy, Debug)]
pub struct FixedFraming<'a> {
    /// The `Date` value, added when the fields have none.
    pub date: &'a str,
    /// The request lets the connection stay open.
    pub keep_alive: bool,
    /// The request is HTTP/1.0, which stays open only with `Connection: keep-alive`.
    pub http10: bool,
}

/// A whole response's fields as they go out, and what the caller's fields said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedFields<'a> {
    /// The fields to write, before the `Content-Length` the plan adds.
    pub fields: Vec<(&'a str, &'a str)>,
    /// The caller's own `Content-Length` (what a response to HEAD announces).
    pub declared: Option<usize>,
    /// The caller's last `Connection` field asks to close the connection.
    pub closes: bool,
}

/// The fields a whole response goes out with: the caller's without `Content-Length` and
/// `Transfer-Encoding` (framing is the server's to write, so a response never carries two
/// framings, a response-smuggling shape), then `Date` unless given, then `Connection: close`
/// or `keep-alive` as the request needs unless the caller's `Connection` already closes.
pub fn fixed_fields<'a>(
    given: &[(&'a str, &'a str)],
    framing: FixedFraming<'a>,
) -> FixedFields<'a> {
    let mut fields = Vec::with_capacity(given.len() + 2);
    let mut has_date = false;
    let mut connection = None;
    let mut declared = None;
    for &(name, value) in given {
        if name.eq_ignore_ascii_case("content-length") {
            let digits = value.trim();
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                declared = digits.parse().ok().or(declared);
            }
            continue;
        }
        if name.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        if name.eq_ignore_ascii_case("date") {
            has_date = true;
        } else if name.eq_ignore_ascii_case("connection") {
            connection = Some(value);
        }
        fields.push((name, value));
    }
    if !has_date {
        fields.push(("Date", framing.date));
    }
    let closes = connection.is_some_and(|value| {
        value
            .as_bytes()
            .windows(5)
            .any(|word| word.eq_ignore_ascii_case(b"close"))
    });
    if !closes {
        if !framing.keep_alive {
            fields.push(("Connection", "close"));
        } else if framing.http10 {
            fields.push(("Connection", "keep-alive"));
        }
    }
    FixedFields {
        fields,
        declared,
        closes,
    }
}

/// The head of a whole response with `fixed` fields, and whether its body follows: 1xx, 204
/// and 304 get neither `Content-Length` nor body, a response to HEAD (`head`) announces the
/// declared length (else the body's) without the body, any other gets both.
///
/// # Errors
/// See `HeadPlan::response`.
pub fn fixed_plan<'a>(
    status: u16,
    fixed: &'a FixedFields<'a>,
    body_len: usize,
    head: bool,
) -> Result<(HeadPlan<'a>, bool), EncodeError> {
    let plan = HeadPlan::response(status, None, &fixed.fields)?;
    if status < 200 || status == 204 || status == 304 {
        return Ok((plan, false));
    }
    if head {
        let announced = fixed.declared.unwrap_or(body_len);
        return Ok((plan.with_content_length(announced)?, false));
    }
    Ok((plan.with_content_length(body_len)?, true))
}

/// A whole response as a server sends it (`fixed_fields`, `fixed_plan`), and whether the
/// caller's fields close the connection.
///
/// # Errors
/// See `HeadPlan::response`.
pub fn encode_fixed_response(
    status: u16,
    given: &[(&str, &str)],
    body: &[u8],
    framing: FixedFraming<'_>,
    head: bool,
) -> Result<(Vec<u8>, bool), EncodeError> {
    let fixed = fixed_fields(given, framing);
    let (plan, with_body) = fixed_plan(status, &fixed, body.len(), head)?;
    let mut out = plan.to_vec();
    if with_body {
        out.extend_from_slice(body);
    }
    Ok((out, fixed.closes))
}

/// A request head: `<method> <target> HTTP/1.1`, the fields and the empty line.
///
/// # Errors
/// See `HeadPlan::request`.
pub fn encode_request_head(
    method: &str,
    target: &str,
    fields: &[(&str, &str)],
) -> Result<Vec<u8>, EncodeError> {
    Ok(HeadPlan::request(method, target, fields)?.to_vec())
}

/// The last chunk with `trailers`: `0 CRLF`, the trailer fields, CRLF.
///
/// # Errors
/// See `HeadPlan::last_chunk`.
pub fn encode_last_chunk(trailers: &[(&str, &str)]) -> Result<Vec<u8>, EncodeError> {
    Ok(HeadPlan::last_chunk(trailers)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_get_their_reason_and_length() {
        let out = encode_response(200, &[("Server", "wsrs")], b"hi").unwrap_or_default();
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nServer: wsrs\r\nContent-Length: 2\r\n\r\nhi"
        );
        let head = encode_response_head(799, None, &[]).unwrap_or_default();
        assert_eq!(head, b"HTTP/1.1 799 \r\n\r\n");
        let empty = encode_response(204, &[], b"").unwrap_or_default();
        assert_eq!(empty, b"HTTP/1.1 204 No Content\r\n\r\n");
    }

    #[test]
    fn latin1_is_written_as_single_bytes() {
        let head = encode_response_head(200, Some("d\u{e9}j\u{e0}"), &[("X", "\u{ff}")]);
        assert_eq!(
            head,
            Ok(b"HTTP/1.1 200 d\xe9j\xe0\r\nX: \xff\r\n\r\n".to_vec())
        );
    }

    #[test]
    fn nothing_can_split_a_head() {
        for value in ["a\r\nb", "a\nb", "a\rb", "a\0b", "a\x7fb", "a\x01b"] {
            let r = encode_response_head(200, None, &[("X", value)]);
            assert_eq!(r, Err(EncodeError::InvalidFieldValue), "{value:?}");
        }
        assert_eq!(
            encode_response_head(200, None, &[("X", "\u{100}")]),
            Err(EncodeError::InvalidFieldValue)
        );
        assert_eq!(
            encode_response_head(200, None, &[("X Y", "1")]),
            Err(EncodeError::InvalidFieldName)
        );
        assert_eq!(
            encode_response_head(200, Some("O\r\nK"), &[]),
            Err(EncodeError::InvalidReason)
        );
        assert_eq!(
            encode_response_head(99, None, &[]),
            Err(EncodeError::InvalidStatus)
        );
        assert_eq!(
            encode_request_head("G T", "/", &[]),
            Err(EncodeError::InvalidMethod)
        );
        assert_eq!(
            encode_request_head("GET", "/ a", &[]),
            Err(EncodeError::InvalidTarget)
        );
        assert_eq!(
            encode_response(200, &[("content-length", "1")], b"x"),
            Err(EncodeError::FramingFieldGiven)
        );
        assert_eq!(
            encode_response(304, &[], b"x"),
            Err(EncodeError::BodyNotAllowed)
        );
    }

    const OPEN: FixedFraming<'static> = FixedFraming {
        date: "D",
        keep_alive: true,
        http10: false,
    };

    #[test]
    fn a_fixed_response_gets_the_servers_framing_date_and_connection() {
        let given = [
            ("Content-Length", "99"),
            ("X", "1"),
            ("transfer-encoding", "x"),
        ];
        let out = encode_fixed_response(200, &given, b"hi", OPEN, false);
        let expected = b"HTTP/1.1 200 OK\r\nX: 1\r\nDate: D\r\nContent-Length: 2\r\n\r\nhi";
        assert_eq!(out, Ok((expected.to_vec(), false)));
        let last = FixedFraming {
            keep_alive: false,
            ..OPEN
        };
        let out = encode_fixed_response(200, &[("date", "E")], b"", last, false);
        let expected =
            b"HTTP/1.1 200 OK\r\ndate: E\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(out, Ok((expected.to_vec(), false)));
        let old = FixedFraming {
            http10: true,
            ..OPEN
        };
        let fixed = fixed_fields(&[], old);
        assert_eq!(fixed.fields, [("Date", "D"), ("Connection", "keep-alive")]);
    }

    #[test]
    fn the_callers_close_is_kept_and_reported() {
        let fixed = fixed_fields(&[("connection", "Keep-Alive, CLOSE")], OPEN);
        assert!(fixed.closes);
        assert_eq!(
            fixed.fields,
            [("connection", "Keep-Alive, CLOSE"), ("Date", "D")]
        );
        assert!(!fixed_fields(&[("Connection", "keep-alive")], OPEN).closes);
    }

    #[test]
    fn head_announces_the_length_and_bodiless_statuses_have_none() {
        let given = [("content-length", " 10 "), ("content-length", "x")];
        let out = encode_fixed_response(200, &given, b"", OPEN, true);
        let expected = b"HTTP/1.1 200 OK\r\nDate: D\r\nContent-Length: 10\r\n\r\n";
        assert_eq!(out, Ok((expected.to_vec(), false)));
        let out = encode_fixed_response(200, &[], b"abc", OPEN, true);
        let expected = b"HTTP/1.1 200 OK\r\nDate: D\r\nContent-Length: 3\r\n\r\n";
        assert_eq!(out, Ok((expected.to_vec(), false)));
        let out = encode_fixed_response(304, &[("Content-Length", "3")], b"abc", OPEN, false);
        let expected = b"HTTP/1.1 304 Not Modified\r\nDate: D\r\n\r\n";
        assert_eq!(out, Ok((expected.to_vec(), false)));
        let bad = encode_fixed_response(200, &[("X", "a\nb")], b"", OPEN, false);
        assert_eq!(bad, Err(EncodeError::InvalidFieldValue));
    }

    #[test]
    fn request_heads_and_last_chunks() {
        let head = encode_request_head("GET", "/chat", &[("Host", "a")]);
        assert_eq!(head, Ok(b"GET /chat HTTP/1.1\r\nHost: a\r\n\r\n".to_vec()));
        assert_eq!(encode_last_chunk(&[]), Ok(b"0\r\n\r\n".to_vec()));
        assert_eq!(
            encode_last_chunk(&[("Md5", "x")]),
            Ok(b"0\r\nMd5: x\r\n\r\n".to_vec())
        );
    }
}
