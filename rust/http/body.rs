//! Request body framing (RFC 9112 §6) and the other header facts a server must check.
//!
//! The message body length of a request is decided by the first rule that applies (§6.3):
//! - Transfer-Encoding with Content-Length: "the Transfer-Encoding overrides the Content-Length.
//!   Such a message might indicate an attempt to perform request smuggling ... and ought to be
//!   handled as an error." We answer 400; the pipeline then closes.
//! - Transfer-Encoding: "If a Transfer-Encoding header field is present in a request and the
//!   chunked transfer coding is not the final encoding, ... the server MUST respond with the 400".
//!   `chunked` twice is 400 too (§7: "A sender MUST NOT apply the chunked transfer coding more
//!   than once"); a well-framed body that also uses another coding is 501, because we only decode
//!   chunked ("A server that receives a request message with a transfer coding it does not
//!   understand SHOULD respond with 501", §6.1). In HTTP/1.0 any Transfer-Encoding is 400 ("MUST
//!   treat the message as if the framing is faulty", §6.1).
//! - Content-Length: `1*DIGIT`, no sign, no inner spaces, no list, at most one field line. RFC 9110
//!   §8.6 allows accepting identical repeated values; we take the strict choice and reject any
//!   repetition. A value over `max_body_size` is 413 before any content arrives.
//! - Otherwise there is no body ("If this is a request message and none of the above are true,
//!   then the message body length is zero").
//!
//! Host (§3.2): "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1
//! request message that lacks a Host header field and to any request message that contains more
//! than one Host header field line or a Host header field with an invalid field value."
//!
//! Expect (RFC 9110 §10.1.1): `100-continue` sets `expect_continue` in HTTP/1.1 and is ignored in
//! HTTP/1.0 ("MUST ignore"); any other expectation is answered with 417, which the RFC allows.

use super::error::HttpError;
use super::headers::{is_token, list_elements, Fields};
use super::limits::HttpLimits;
use super::request::Version;

/// How a request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes (never zero: a zero length is `None`).
    Length(u64),
    /// The chunked transfer coding.
    Chunked,
}

/// What `analyse` learns from a request's header fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub(crate) framing: Framing,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade: Option<String>,
    pub(crate) expect_continue: bool,
}

/// How often each field that matters appears (and where the first one is), found in one pass
/// without allocating; the rare multi-line lists are walked again by name.
#[derive(Default)]
struct Seen {
    host: (usize, usize),
    content_length: (usize, usize),
    transfer_encoding: usize,
    upgrade: usize,
    expect: usize,
    close: bool,
    keep_alive: bool,
    upgrade_token: bool,
}

impl Seen {
    fn collect(fields: &Fields) -> Self {
        let mut seen = Self::default();
        for i in 0..fields.len() {
            let name = fields.name_bytes(i);
            match name.len() {
                4 if name.eq_ignore_ascii_case(b"host") => count(&mut seen.host, i),
                6 if name.eq_ignore_ascii_case(b"expect") => seen.expect += 1,
                7 if name.eq_ignore_ascii_case(b"upgrade") => seen.upgrade += 1,
                10 if name.eq_ignore_ascii_case(b"connection") => {
                    for option in list_elements(fields.value(i)) {
                        seen.close |= option.eq_ignore_ascii_case(b"close");
                        seen.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                        seen.upgrade_token |= option.eq_ignore_ascii_case(b"upgrade");
                    }
                }
                14 if name.eq_ignore_ascii_case(b"content-length") => {
                    count(&mut seen.content_length, i);
                }
                17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                    seen.transfer_encoding += 1;
                }
                _ => {}
            }
        }
        seen
    }
}

fn count(slot: &mut (usize, usize), i: usize) {
    if slot.0 == 0 {
        slot.1 = i;
    }
    slot.0 += 1;
}

/// Checks the framing and Host rules and derives the facts the pipeline needs.
pub(crate) fn analyse(
    method: &str,
    version: Version,
    fields: &Fields,
    limits: &HttpLimits,
) -> Result<Facts, HttpError> {
    let seen = Seen::collect(fields);
    let chunked = seen.transfer_encoding > 0;
    if chunked && seen.content_length.0 > 0 {
        return Err(HttpError::TransferEncodingWithContentLength);
    }
    if chunked && version == Version::Http10 {
        return Err(HttpError::TransferEncodingInHttp10);
    }
    if chunked {
        check_transfer_coding(fields.get_all("transfer-encoding"))?;
    }
    let length = match seen.content_length {
        (0, _) => 0,
        (1, i) => parse_content_length(fields.value(i))?,
        _ => return Err(HttpError::MultipleContentLength),
    };
    match (seen.host, version) {
        ((0, _), Version::Http11) => return Err(HttpError::MissingHost),
        ((0, _), Version::Http10) => {}
        ((1, i), _) if is_host_value(fields.value(i)) => {}
        ((1, _), _) => return Err(HttpError::InvalidHost),
        _ => return Err(HttpError::MultipleHost),
    }
    if method == "CONNECT" && (chunked || length > 0) {
        return Err(HttpError::ContentInConnect);
    }
    let expect_continue =
        version == Version::Http11 && seen.expect > 0 && expects_continue(fields)?;
    if limits.max_body_size.is_some_and(|max| length > max) {
        return Err(HttpError::ContentTooLarge);
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, 0) => Framing::None,
        (false, n) => Framing::Length(n),
    };
    let keep_alive = !seen.close && (version == Version::Http11 || seen.keep_alive);
    let upgrade = (version == Version::Http11 && seen.upgrade_token && seen.upgrade > 0)
        .then(|| join_values(fields.get_all("upgrade")));
    Ok(Facts {
        framing,
        keep_alive,
        upgrade,
        expect_continue,
    })
}

/// `Transfer-Encoding = #transfer-coding`, all field lines read as one list.
fn check_transfer_coding<'a>(values: impl Iterator<Item = &'a [u8]>) -> Result<(), HttpError> {
    let (mut count, mut chunked, mut others, mut last_chunked) = (0, 0, 0, false);
    for coding in values.flat_map(list_elements) {
        if !is_token(coding) {
            return Err(HttpError::InvalidTransferCoding);
        }
        count += 1;
        last_chunked = coding.eq_ignore_ascii_case(b"chunked");
        if last_chunked {
            chunked += 1;
        } else {
            others += 1;
        }
    }
    if count == 0 {
        Err(HttpError::InvalidTransferCoding)
    } else if chunked > 1 {
        Err(HttpError::ChunkedRepeated)
    } else if !last_chunked {
        Err(HttpError::ChunkedNotFinal)
    } else if others > 0 {
        Err(HttpError::UnsupportedTransferCoding)
    } else {
        Ok(())
    }
}

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6), checked for overflow.
pub(crate) fn parse_content_length(value: &[u8]) -> Result<u64, HttpError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(HttpError::InvalidContentLength);
    }
    value.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or(HttpError::ContentLengthOverflow)
    })
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2), checked by byte class: reg-name, IP literal and
/// IPv4 bytes (unreserved, pct-encoded, sub-delims, `[`, `]`) and the port's `:`. An empty value is
/// allowed ("the Host header field with an empty field value" when the target has no authority).
pub(crate) fn is_host_value(value: &[u8]) -> bool {
    value.iter().all(|&b| HOST_BYTES[usize::from(b)])
}

/// The bytes `is_host_value` accepts, as a table.
static HOST_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let extra = b"-._~%!$&'()*+,;=:[]";
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

fn expects_continue(fields: &Fields) -> Result<bool, HttpError> {
    let mut expect = false;
    for element in fields.get_all("expect").flat_map(list_elements) {
        if !element.eq_ignore_ascii_case(b"100-continue") {
            return Err(HttpError::UnsupportedExpectation);
        }
        expect = true;
    }
    Ok(expect)
}

fn join_values<'a>(values: impl Iterator<Item = &'a [u8]>) -> String {
    let mut joined = Vec::new();
    for (n, value) in values.enumerate() {
        if n > 0 {
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(value);
    }
    super::headers::latin1_to_string(&joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(parse_content_length(b"0005"), Ok(5));
        assert_eq!(parse_content_length(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_content_length(b"18446744073709551616"),
            Err(HttpError::ContentLengthOverflow)
        );
        for bad in [&b""[..], b"+5", b"-5", b"5 5", b"0x5", b"5,5", b"\xd9\xa5"] {
            assert_eq!(
                parse_content_length(bad),
                Err(HttpError::InvalidContentLength)
            );
        }
    }

    #[test]
    fn transfer_codings_end_with_one_chunked() {
        let check = |v: &[&[u8]]| check_transfer_coding(v.iter().copied());
        assert_eq!(check(&[b"chunked"]), Ok(()));
        assert_eq!(check(&[b"Chunked"]), Ok(()));
        assert_eq!(check(&[b" , chunked"]), Ok(()));
        assert_eq!(
            check(&[b"chunked, chunked"]),
            Err(HttpError::ChunkedRepeated)
        );
        assert_eq!(
            check(&[b"chunked", b"chunked"]),
            Err(HttpError::ChunkedRepeated)
        );
        assert_eq!(check(&[b"chunked, gzip"]), Err(HttpError::ChunkedNotFinal));
        assert_eq!(
            check(&[b"chunked, identity"]),
            Err(HttpError::ChunkedNotFinal)
        );
        assert_eq!(
            check(&[b"gzip, chunked"]),
            Err(HttpError::UnsupportedTransferCoding)
        );
        assert_eq!(check(&[b""]), Err(HttpError::InvalidTransferCoding));
        assert_eq!(
            check(&[b"chunked;a=b"]),
            Err(HttpError::InvalidTransferCoding)
        );
        assert_eq!(
            check(&[b"\"chunked\""]),
            Err(HttpError::InvalidTransferCoding)
        );
    }

    #[test]
    fn host_values_are_authorities() {
        for good in [
            &b""[..],
            b"example.com",
            b"example.com:8080",
            b"[::1]:80",
            b"a%20b",
        ] {
            assert!(is_host_value(good));
        }
        for bad in [&b"a b"[..], b"a/b", b"a@b", b"a?b", b"a#b", b"\xe9"] {
            assert!(!is_host_value(bad));
        }
    }
}
