//! A part's header section (RFC 2046 §5.1.1: `body-part := MIME-part-headers [CRLF *OCTET]`),
//! read with the HTTP engine's field-line rules and what wsrs derives from it.
//!
//! The end of the section is found by the same incremental scanner as an HTTP head (`scan`,
//! `StartLine::Absent`): lines end with CRLF (bare LF only with `allow_bare_lf`), no obs-fold,
//! line size, field count and section size capped at the byte that breaks them. httparse then
//! checks each field line (token names, no control bytes in values, no space before the colon).
//! A part may have no header fields at all; its section is then the empty line alone.

use super::content_type::parse_media_type;
use super::disposition::{parse_disposition, Disposition};
use super::error::MultipartError;
use crate::http::Fields;

/// Field counts up to this are parsed with httparse's header array on the stack.
const STACK_FIELDS: usize = 16;

/// A part's header fields and what wsrs reads from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartHead {
    fields: Fields,
    disposition: Option<Disposition>,
    content_type: Option<String>,
    charset: Option<String>,
}

impl PartHead {
    /// The header fields, in arrival order.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The Content-Disposition type, ASCII-lowercased (`form-data` in a form), if there is one.
    pub fn disposition(&self) -> Option<&str> {
        self.disposition.as_ref().map(|d| d.kind.as_str())
    }

    /// The plain `name` parameter of the Content-Disposition.
    pub fn name(&self) -> Option<&str> {
        self.disposition.as_ref()?.name.as_deref()
    }

    /// The plain `filename` parameter of the Content-Disposition, exactly as sent (never a path
    /// to trust).
    pub fn filename(&self) -> Option<&str> {
        self.disposition.as_ref()?.filename.as_deref()
    }

    /// The RFC 8187 `filename*` parameter, decoded; it never replaces `filename`.
    pub fn filename_star(&self) -> Option<&str> {
        self.disposition.as_ref()?.filename_star.as_deref()
    }

    /// The part's media type (`type/subtype`, ASCII-lowercased), if it has a Content-Type.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The `charset` parameter of the part's Content-Type, ASCII-lowercased.
    pub fn charset(&self) -> Option<&str> {
        self.charset.as_deref()
    }
}

/// Parses a complete header section (`section` ends with its empty line) of `count` field lines.
pub(crate) fn parse_part_head(section: &[u8], count: usize) -> Result<PartHead, MultipartError> {
    let fields = if count <= STACK_FIELDS {
        parse_fields(
            section,
            &mut [httparse::EMPTY_HEADER; STACK_FIELDS][..count],
        )?
    } else {
        parse_fields(section, &mut vec![httparse::EMPTY_HEADER; count])?
    };
    let mut disposition = None;
    let mut media = None;
    for (name, value) in fields.iter() {
        if name.eq_ignore_ascii_case("content-disposition") {
            if disposition.is_some() {
                return Err(MultipartError::DuplicateHeader);
            }
            disposition = Some(parse_disposition(value)?);
        } else if name.eq_ignore_ascii_case("content-type") {
            if media.is_some() {
                return Err(MultipartError::DuplicateHeader);
            }
            media = Some(parse_media_type(
                value,
                MultipartError::InvalidPartContentType,
            )?);
        }
    }
    let (content_type, charset) = match media {
        Some(m) => (Some(m.essence), m.charset),
        None => (None, None),
    };
    Ok(PartHead {
        fields,
        disposition,
        content_type,
        charset,
    })
}

fn parse_fields<'b>(
    section: &'b [u8],
    headers: &mut [httparse::Header<'b>],
) -> Result<Fields, MultipartError> {
    match httparse::parse_headers(section, headers) {
        Ok(httparse::Status::Complete((n, parsed))) if n == section.len() => {
            Ok(Fields::from_httparse(section, parsed))
        }
        Ok(_) => Err(MultipartError::InvalidLineEnding),
        Err(e) => Err(MultipartError::from_header_error(
            crate::http::request::map_httparse_error(e),
        )),
    }
}
