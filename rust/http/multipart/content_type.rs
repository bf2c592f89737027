//! Media types: the body's `multipart/*` Content-Type and its boundary, and a part's own
//! Content-Type with its charset.
//!
//! ```text
//! media-type = type "/" subtype parameters              ; RFC 9110 §8.3.1
//! boundary   = 0*69<bchars> bcharsnospace               ; RFC 2046 §5.1.1
//! bchars     = bcharsnospace / " "
//! bcharsnospace = DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":"
//!               / "=" / "?"
//! ```
//! The boundary is only taken from a parameter named `boundary` (case-insensitive), so
//! `a_boundary="boundary=z"` names none; given twice, it is refused rather than guessed.

use super::error::MultipartError;
use super::limits::MultipartLimits;
use super::params;
use crate::http::headers::is_token;

/// A parsed media type: `type/subtype` lowercased, and the parameters wsrs reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MediaType {
    /// `type "/" subtype`, ASCII-lowercased.
    pub(crate) essence: String,
    /// The `boundary` parameter, unquoted.
    pub(crate) boundary: Option<Vec<u8>>,
    /// The `charset` parameter, unquoted and ASCII-lowercased.
    pub(crate) charset: Option<String>,
}

/// Parses `type/subtype; parameters`; a bad shape is `malformed`.
pub(crate) fn parse_media_type(
    value: &[u8],
    malformed: MultipartError,
) -> Result<MediaType, MultipartError> {
    let (lead, parameters) = params::split(value);
    let slash = memchr::memchr(b'/', lead).ok_or(malformed)?;
    if !is_token(&lead[..slash]) || !is_token(&lead[slash + 1..]) {
        return Err(malformed);
    }
    let mut media = MediaType {
        essence: ascii_lowercase(lead),
        boundary: None,
        charset: None,
    };
    for param in parameters {
        let param = param.map_err(|()| malformed)?;
        if param.name.eq_ignore_ascii_case(b"boundary") {
            set_once(&mut media.boundary, param.value.into_owned())?;
        } else if param.name.eq_ignore_ascii_case(b"charset") {
            set_once(&mut media.charset, ascii_lowercase(&param.value))?;
        }
    }
    Ok(media)
}

/// The boundary of a `multipart/*` Content-Type value, checked against RFC 2046 and `limits`.
///
/// # Errors
/// `NotMultipart` (415) for another type; `InvalidContentType`, `MissingBoundary`,
/// `InvalidBoundary` or `BoundaryTooLong` (400) otherwise.
pub fn boundary_from_content_type(
    value: &[u8],
    limits: &MultipartLimits,
) -> Result<Vec<u8>, MultipartError> {
    let (lead, _) = params::split(value);
    let is_multipart = lead
        .get(..10)
        .is_some_and(|t| t.eq_ignore_ascii_case(b"multipart/"));
    if !is_multipart {
        return Err(MultipartError::NotMultipart);
    }
    let media = parse_media_type(value, MultipartError::InvalidContentType)?;
    let boundary = media.boundary.ok_or(MultipartError::MissingBoundary)?;
    check_boundary(&boundary, limits)?;
    Ok(boundary)
}

/// Checks a boundary against the RFC 2046 grammar and `max_boundary_size`.
///
/// # Errors
/// `InvalidBoundary` or `BoundaryTooLong`.
pub fn check_boundary(boundary: &[u8], limits: &MultipartLimits) -> Result<(), MultipartError> {
    if boundary.len() > limits.max_boundary_size {
        return Err(MultipartError::BoundaryTooLong);
    }
    let well_formed = boundary.last().is_some_and(|&b| b != b' ')
        && boundary.iter().all(|&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'\''
                        | b'('
                        | b')'
                        | b'+'
                        | b'_'
                        | b','
                        | b'-'
                        | b'.'
                        | b'/'
                        | b':'
                        | b'='
                        | b'?'
                        | b' '
                )
        });
    if well_formed {
        Ok(())
    } else {
        Err(MultipartError::InvalidBoundary)
    }
}

/// Stores a parameter value, refusing a second one.
pub(crate) fn set_once<T>(slot: &mut Option<T>, value: T) -> Result<(), MultipartError> {
    if slot.is_some() {
        return Err(MultipartError::DuplicateParameter);
    }
    *slot = Some(value);
    Ok(())
}

/// ASCII bytes lowercased into a `String`; other bytes as latin-1 characters.
pub(crate) fn ascii_lowercase(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| char::from(b.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boundary(value: &str) -> Result<Vec<u8>, MultipartError> {
        boundary_from_content_type(value.as_bytes(), &MultipartLimits::default())
    }

    #[test]
    fn boundaries_from_real_clients() {
        for (value, expected) in [
            (
                "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                &b"----WebKitFormBoundary7MA4YWxkTrZu0gW"[..],
            ),
            (
                "Multipart/Mixed; BOUNDARY=\"simple boundary\"",
                b"simple boundary",
            ),
            (
                "multipart/related; type=x/y; boundary=\"----=_Part_0\"",
                b"----=_Part_0",
            ),
            ("multipart/form-data;boundary=abc;charset=utf-8", b"abc"),
        ] {
            assert_eq!(boundary(value), Ok(expected.to_vec()), "{value}");
        }
    }

    #[test]
    fn boundary_errors() {
        for (value, error) in [
            ("text/plain; boundary=a", MultipartError::NotMultipart),
            ("multipart", MultipartError::NotMultipart),
            ("multipart/form-data", MultipartError::MissingBoundary),
            (
                "multipart/form-data; a_boundary=\"boundary=z\"",
                MultipartError::MissingBoundary,
            ),
            (
                "multipart/form-data; boundary=\"\"",
                MultipartError::InvalidBoundary,
            ),
            (
                "multipart/form-data; boundary=\"a \"",
                MultipartError::InvalidBoundary,
            ),
            (
                "multipart/form-data; boundary=a\\b",
                MultipartError::InvalidBoundary,
            ),
            (
                "multipart/form-data; boundary=a; boundary=b",
                MultipartError::DuplicateParameter,
            ),
            (
                "multipart/form-data; boundary",
                MultipartError::InvalidContentType,
            ),
            (
                "multipart/ form-data; boundary=a",
                MultipartError::InvalidContentType,
            ),
        ] {
            assert_eq!(boundary(value), Err(error), "{value}");
        }
        let long = format!("multipart/form-data; boundary={}", "a".repeat(71));
        assert_eq!(boundary(&long), Err(MultipartError::BoundaryTooLong));
        assert_eq!(boundary(&long[..long.len() - 1]).map(|b| b.len()), Ok(70));
    }

    #[test]
    fn part_media_types_keep_their_charset() {
        let media = parse_media_type(
            b"Text/Plain; charset=\"UTF-8\"",
            MultipartError::InvalidPartContentType,
        );
        assert_eq!(
            media,
            Ok(MediaType {
                essence: "text/plain".into(),
                boundary: None,
                charset: Some("utf-8".into()),
            })
        );
    }
}
