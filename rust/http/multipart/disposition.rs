//! A part's Content-Disposition (RFC 7578 §4.2, RFC 6266 §4.1) and RFC 8187 `filename*`.
//!
//! `name` and `filename` are read from their plain parameters only. RFC 7578 §4.2 says senders
//! "MUST NOT use the RFC 5987 encoding"; when a `filename*` comes anyway it is decoded into its own
//! field, `filename_star`, and never replaces `filename`; `name*` and RFC 2231 continuations
//! (`filename*0`) are ignored. aiohttp and multipart-rs let the starred form win, so a WAF that
//! reads `filename="safe.txt"` lets `evil.php` through (peers.md Part B headline 3,
//! GHSA-vffw-93wf-4j4q). A parameter that wsrs reads, given twice, is refused ("multiple instances
//! of the same parameter name are invalid", RFC 6266 §4.1). The quoting rule is `params`'.
//!
//! `name` and `filename` must be UTF-8, the encoding every browser uses for them.

use super::content_type::{ascii_lowercase, set_once};
use super::error::MultipartError;
use super::params;
use crate::http::headers::is_token;

/// What a Content-Disposition says about a part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Disposition {
    /// The disposition type, ASCII-lowercased (`form-data` in a form).
    pub(crate) kind: String,
    /// The plain `name` parameter.
    pub(crate) name: Option<String>,
    /// The plain `filename` parameter.
    pub(crate) filename: Option<String>,
    /// The RFC 8187 `filename*` parameter, decoded.
    pub(crate) filename_star: Option<String>,
}

/// Parses a Content-Disposition field value.
pub(crate) fn parse_disposition(value: &[u8]) -> Result<Disposition, MultipartError> {
    let (lead, parameters) = params::split(value);
    if !is_token(lead) {
        return Err(MultipartError::InvalidContentDisposition);
    }
    let mut disposition = Disposition {
        kind: ascii_lowercase(lead),
        ..Disposition::default()
    };
    for param in parameters {
        let param = param.map_err(|()| MultipartError::InvalidContentDisposition)?;
        let name = param.name;
        if name.eq_ignore_ascii_case(b"name") {
            set_once(&mut disposition.name, utf8(&param.value)?)?;
        } else if name.eq_ignore_ascii_case(b"filename") {
            set_once(&mut disposition.filename, utf8(&param.value)?)?;
        } else if name.eq_ignore_ascii_case(b"filename*") {
            if param.quoted {
                return Err(MultipartError::InvalidExtendedValue);
            }
            set_once(
                &mut disposition.filename_star,
                decode_ext_value(&param.value)?,
            )?;
        }
    }
    Ok(disposition)
}

fn utf8(bytes: &[u8]) -> Result<String, MultipartError> {
    simdutf8::basic::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| MultipartError::NotUtf8)
}

/// Decodes an RFC 8187 `ext-value`:
/// `charset "'" [ language ] "'" value-chars`, `value-chars = *( pct-encoded / attr-char )`.
/// The charset is UTF-8 or ISO-8859-1 (case-insensitive); the language tag is not kept.
pub(crate) fn decode_ext_value(value: &[u8]) -> Result<String, MultipartError> {
    let mut pieces = value.splitn(3, |&b| b == b'\'');
    let (Some(charset), Some(language), Some(chars)) =
        (pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(MultipartError::InvalidExtendedValue);
    };
    if !language
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(MultipartError::InvalidExtendedValue);
    }
    let latin1 = if charset.eq_ignore_ascii_case(b"utf-8") {
        false
    } else if charset.eq_ignore_ascii_case(b"iso-8859-1") {
        true
    } else if is_token(charset) {
        return Err(MultipartError::UnsupportedCharset);
    } else {
        return Err(MultipartError::InvalidExtendedValue);
    };
    let mut bytes = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let b = chars[i];
        if b == b'%' {
            let hex = chars
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|d| d.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(MultipartError::InvalidExtendedValue)?;
            bytes.push(hex);
            i += 3;
        } else if is_attr_char(b) {
            bytes.push(b);
            i += 1;
        } else {
            return Err(MultipartError::InvalidExtendedValue);
        }
    }
    if latin1 {
        return Ok(bytes.iter().map(|&b| char::from(b)).collect());
    }
    String::from_utf8(bytes).map_err(|_| MultipartError::InvalidExtendedValue)
}

/// `attr-char` (RFC 8187 §3.2.1): ALPHA, DIGIT and ``!#$&+-.^_`|~``.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<Disposition, MultipartError> {
        parse_disposition(value.as_bytes())
    }

    #[test]
    fn plain_parameters_are_authoritative() {
        let d = parse(
            r#"form-data; name="comment"; name*=utf-8''role; filename="safe.txt"; filename*=UTF-8''evil.php"#,
        );
        assert_eq!(
            d,
            Ok(Disposition {
                kind: "form-data".into(),
                name: Some("comment".into()),
                filename: Some("safe.txt".into()),
                filename_star: Some("evil.php".into()),
            })
        );
        let d = parse("form-data; name=a; filename*0=\"x\"; filename*1=\"y\"");
        assert_eq!(d.map(|d| (d.filename, d.filename_star)), Ok((None, None)));
    }

    #[test]
    fn ext_values_decode_in_their_charset() {
        assert_eq!(
            decode_ext_value(b"UTF-8'en'%e2%82%ac%20rates.txt"),
            Ok("€ rates.txt".into())
        );
        assert_eq!(decode_ext_value(b"iso-8859-1''caf%E9"), Ok("café".into()));
        for (value, error) in [
            (&b"utf-8'%e2"[..], MultipartError::InvalidExtendedValue),
            (b"utf-8''%e2%82", MultipartError::InvalidExtendedValue),
            (b"utf-8''%g0", MultipartError::InvalidExtendedValue),
            (b"utf-8''a b", MultipartError::InvalidExtendedValue),
            (b"utf-8''a/b", MultipartError::InvalidExtendedValue),
            (b"koi8-r''a", MultipartError::UnsupportedCharset),
        ] {
            assert_eq!(decode_ext_value(value), Err(error));
        }
        assert_eq!(
            parse("form-data; filename*=\"utf-8''a\"").map(|d| d.filename_star),
            Err(MultipartError::InvalidExtendedValue)
        );
    }

    #[test]
    fn repeated_or_malformed_dispositions_fail() {
        for (value, error) in [
            (
                r#"form-data; name="a"; name="b""#,
                MultipartError::DuplicateParameter,
            ),
            (
                r#"form-data; NAME="a"; name="b""#,
                MultipartError::DuplicateParameter,
            ),
            (
                r#"form-data; filename="a"; Filename="b""#,
                MultipartError::DuplicateParameter,
            ),
            (
                r#"form data; name="a""#,
                MultipartError::InvalidContentDisposition,
            ),
            (r#"; name="a""#, MultipartError::InvalidContentDisposition),
            (
                r#"form-data; name="a"#,
                MultipartError::InvalidContentDisposition,
            ),
        ] {
            assert_eq!(parse(value), Err(error), "{value}");
        }
        assert_eq!(
            parse_disposition(b"form-data; name=\"\xff\"").map(|d| d.name),
            Err(MultipartError::NotUtf8)
        );
    }

    #[test]
    fn browser_escapes_are_kept_as_sent() {
        let d = parse(r#"form-data; name="a%22b"; filename="C:\dir\x%0A.txt""#);
        assert_eq!(
            d.map(|d| (d.name, d.filename)),
            Ok((Some("a%22b".into()), Some(r"C:\dir\x%0A.txt".into())))
        );
    }
}
