//! `MultipartError`: every way a multipart body, its media type or a part's header section can
//! break RFC 2046 / RFC 7578 or a configured limit.
//!
//! Like `HttpError`, each message is a fixed sentence naming the rule and never quotes the input,
//! and each variant knows the status that answers it: 415 when the body is not multipart at all,
//! 413 past a limit, 400 for the rest.

use std::fmt;

use crate::http::HttpError;

/// A violation of RFC 2046 / RFC 7578 / RFC 8187, or of a `MultipartLimits` cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MultipartError {
    // --- the body's media type (RFC 2046 §5.1.1) ---
    /// The Content-Type is not `multipart/*` (answered with 415).
    NotMultipart,
    /// The Content-Type is not `type "/" subtype *( OWS ";" OWS parameter )`.
    InvalidContentType,
    /// The Content-Type has no `boundary` parameter.
    MissingBoundary,
    /// The boundary is empty, ends in a space or holds a byte outside `bchars`.
    InvalidBoundary,
    /// The boundary is longer than `max_boundary_size` (RFC 2046 allows 70 characters).
    BoundaryTooLong,
    // --- the framing (RFC 2046 §5.1.1) ---
    /// The input ended without a single delimiter.
    NoDelimiter,
    /// The input ended before the close delimiter.
    Truncated,
    /// A delimiter is followed by something other than transport padding and CRLF, or `--`.
    InvalidDelimiterLine,
    /// The close delimiter is followed by something other than transport padding and CRLF.
    InvalidCloseDelimiterLine,
    // --- a part's header section (RFC 2046 §5.1.1, RFC 9112 §5 rules) ---
    /// A header field name is not a token, or has whitespace before its colon.
    InvalidHeaderName,
    /// A header field value holds a control character.
    InvalidHeaderValue,
    /// A header line does not end with CRLF.
    InvalidLineEnding,
    /// A header line ends with LF alone (allowed only with `allow_bare_lf`).
    BareLineFeed,
    /// A header line starts with whitespace: obsolete line folding.
    ObsoleteLineFolding,
    /// A part has two Content-Disposition or two Content-Type fields.
    DuplicateHeader,
    /// A part's Content-Disposition is not `type *( OWS ";" OWS parameter )`.
    InvalidContentDisposition,
    /// A part's Content-Type is malformed.
    InvalidPartContentType,
    /// A parameter that wsrs reads (`name`, `filename`, `filename*`, `boundary`, `charset`)
    /// appears twice.
    DuplicateParameter,
    /// A `filename*` value is not an RFC 8187 `ext-value`, or does not decode in its charset.
    InvalidExtendedValue,
    /// A `filename*` charset other than UTF-8 and ISO-8859-1.
    UnsupportedCharset,
    /// A `name` or `filename` is not UTF-8.
    NotUtf8,
    // --- limits (`MultipartLimits`) ---
    /// A part header line is longer than `max_header_line_size`.
    HeaderLineTooLong,
    /// A part's header section is longer than `max_headers_size`.
    HeadersTooLarge,
    /// A part has more than `max_header_count` header fields.
    TooManyHeaders,
    /// The body has more than `max_parts` parts.
    TooManyParts,
    /// A part's content is longer than `max_part_size`.
    PartTooLarge,
    /// The preamble is longer than `max_preamble_size`.
    PreambleTooLarge,
    /// The epilogue is longer than `max_epilogue_size`.
    EpilogueTooLarge,
    /// A delimiter line's transport padding makes it longer than `max_header_line_size`.
    PaddingTooLong,
}

impl MultipartError {
    /// The status code a server answers this violation with.
    pub fn status_hint(self) -> u16 {
        if self == Self::NotMultipart {
            415
        } else if self.exceeds_limit() {
            413
        } else {
            400
        }
    }

    /// Whether a configured limit (rather than the grammar) was broken.
    pub fn exceeds_limit(self) -> bool {
        matches!(
            self,
            Self::HeaderLineTooLong
                | Self::HeadersTooLarge
                | Self::TooManyHeaders
                | Self::TooManyParts
                | Self::PartTooLarge
                | Self::PreambleTooLarge
                | Self::EpilogueTooLarge
                | Self::PaddingTooLong
        )
    }

    /// A fixed sentence naming the broken rule; it never contains input bytes.
    pub fn message(self) -> &'static str {
        match self {
            Self::NotMultipart => "content type is not multipart/*",
            Self::InvalidContentType => "malformed multipart content type",
            Self::MissingBoundary => "multipart content type without a boundary",
            Self::InvalidBoundary => "malformed multipart boundary",
            Self::BoundaryTooLong => "multipart boundary too long",
            Self::NoDelimiter => "multipart body without a delimiter",
            Self::Truncated => "multipart body ended before the close delimiter",
            Self::InvalidDelimiterLine => "malformed multipart delimiter line",
            Self::InvalidCloseDelimiterLine => "malformed multipart close delimiter line",
            Self::InvalidHeaderName => "malformed part header field name",
            Self::InvalidHeaderValue => "control character in a part header field value",
            Self::InvalidLineEnding => "part header line not terminated by CRLF",
            Self::BareLineFeed => "part header line terminated by a bare LF",
            Self::ObsoleteLineFolding => "obsolete line folding in a part header",
            Self::DuplicateHeader => "part with two Content-Disposition or Content-Type fields",
            Self::InvalidContentDisposition => "malformed part Content-Disposition",
            Self::InvalidPartContentType => "malformed part Content-Type",
            Self::DuplicateParameter => "repeated parameter",
            Self::InvalidExtendedValue => "malformed filename* value",
            Self::UnsupportedCharset => "filename* charset is neither UTF-8 nor ISO-8859-1",
            Self::NotUtf8 => "part name or filename is not UTF-8",
            Self::HeaderLineTooLong => "part header line too long",
            Self::HeadersTooLarge => "part header section too large",
            Self::TooManyHeaders => "too many part header fields",
            Self::TooManyParts => "too many parts",
            Self::PartTooLarge => "part larger than the limit",
            Self::PreambleTooLarge => "multipart preamble too large",
            Self::EpilogueTooLarge => "multipart epilogue too large",
            Self::PaddingTooLong => "multipart delimiter line too long",
        }
    }

    /// The part-header error for what the shared field-line scanner or httparse reported.
    pub(crate) fn from_header_error(error: HttpError) -> Self {
        match error {
            HttpError::FieldLineTooLong => Self::HeaderLineTooLong,
            HttpError::HeadTooLarge => Self::HeadersTooLarge,
            HttpError::TooManyFields => Self::TooManyHeaders,
            HttpError::BareLineFeed => Self::BareLineFeed,
            HttpError::ObsoleteLineFolding => Self::ObsoleteLineFolding,
            HttpError::InvalidFieldName => Self::InvalidHeaderName,
            HttpError::InvalidFieldValue => Self::InvalidHeaderValue,
            _ => Self::InvalidLineEnding,
        }
    }
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for MultipartError {}
