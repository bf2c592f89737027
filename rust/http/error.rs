//! What can go wrong: the peer's violations (`HttpError`) and the caller's (`EncodeError`).
//!
//! Every message is a fixed sentence naming the rule that was broken. None of them quotes the
//! input: a 400 built from these messages never reflects request content back (a reflected
//! cookie or token would turn an error page into a leak; Ktor's parser did this, see
//! ktor-behaviour gap 23).

use std::fmt;

/// A peer's violation of RFC 9112 / RFC 9110, or of a configured limit.
///
/// Each variant knows the status code that answers it (`status_hint`) and whether it is a limit
/// (`exceeds_limit`). Incomplete input is never an error: the parsers wait for more bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpError {
    // --- the head's grammar (RFC 9112 §2-§5) ---
    /// The method or request-target is not well formed, or the delimiters are not single spaces.
    InvalidRequestLine,
    /// The request-target has a byte outside printable ASCII, or a form its method does not allow.
    InvalidRequestTarget,
    /// The HTTP-version is not `HTTP/DIGIT.DIGIT`.
    InvalidHttpVersion,
    /// The HTTP-version is well formed but neither 1.0 nor 1.1 (answered with 505).
    UnsupportedHttpVersion,
    /// The status line of a response is not `HTTP/1.x SP 3DIGIT SP reason`.
    InvalidStatusLine,
    /// A field name is not a token, or whitespace sits between the name and the colon.
    InvalidFieldName,
    /// A field value holds a control character (NUL, a bare CR, DEL, ...).
    InvalidFieldValue,
    /// A line ends with something other than CRLF, or a CR is not followed by LF.
    InvalidLineEnding,
    /// A line ends with LF alone (allowed in the head only when `allow_bare_lf` is set).
    BareLineFeed,
    /// A field line starts with whitespace: obsolete line folding (RFC 9112 §5.2).
    ObsoleteLineFolding,
    // --- the header fields the server must check (RFC 9112 §3.2, §6) ---
    /// An HTTP/1.1 request has no Host field.
    MissingHost,
    /// A request has more than one Host field line.
    MultipleHost,
    /// The Host field value is not `uri-host [ ":" port ]`.
    InvalidHost,
    /// A request has both Transfer-Encoding and Content-Length (RFC 9112 §6.3 rule 3).
    TransferEncodingWithContentLength,
    /// An HTTP/1.0 request has a Transfer-Encoding field (RFC 9112 §6.1).
    TransferEncodingInHttp10,
    /// A Transfer-Encoding list element is not a bare token.
    InvalidTransferCoding,
    /// `chunked` is not the last transfer coding, or there is none (RFC 9112 §6.3 rule 4).
    ChunkedNotFinal,
    /// `chunked` appears more than once (RFC 9112 §7: "MUST NOT ... more than once").
    ChunkedRepeated,
    /// A transfer coding other than `chunked` is applied (answered with 501).
    UnsupportedTransferCoding,
    /// A Content-Length value is not `1*DIGIT`.
    InvalidContentLength,
    /// A Content-Length value does not fit in 64 bits.
    ContentLengthOverflow,
    /// More than one Content-Length field line, even with identical values.
    MultipleContentLength,
    /// A CONNECT request declares content (RFC 9110 §9.3.6).
    ContentInConnect,
    /// An Expect field asks for something other than `100-continue` (answered with 417).
    UnsupportedExpectation,
    // --- chunked (RFC 9112 §7.1) ---
    /// A chunk-size is not `1*HEXDIG` (a sign, `0x`, spaces or nothing).
    InvalidChunkSize,
    /// A chunk-size does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A chunk extension is not `BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ]`.
    InvalidChunkExtension,
    /// Chunk data is not followed by CRLF.
    ChunkDataNotTerminated,
    /// A trailer field line is not a valid field line.
    InvalidTrailerField,
    /// The input ended before the last chunk and the trailer section were complete.
    IncompleteChunkedBody,
    /// The input ended inside a request head or body.
    IncompleteMessage,
    // --- limits (`HttpLimits`) ---
    /// The request line is longer than `max_request_line_size` (414).
    RequestLineTooLong,
    /// A field line is longer than `max_header_line_size` (431).
    FieldLineTooLong,
    /// The head is longer than `max_head_size` (431).
    HeadTooLarge,
    /// There are more than `max_header_count` field lines (431).
    TooManyFields,
    /// The content is longer than `max_body_size` (413).
    ContentTooLarge,
    /// A chunk-size line is longer than `max_chunk_size_line` (400).
    ChunkSizeLineTooLong,
    /// The chunk extensions of one body sum to more than `max_chunk_extensions_size` (400).
    ChunkExtensionsTooLarge,
    /// The trailer section is longer than `max_trailer_size` (431).
    TrailersTooLarge,
}

impl HttpError {
    /// The status code a server answers this violation with.
    pub fn status_hint(self) -> u16 {
        match self {
            Self::UnsupportedHttpVersion => 505,
            Self::UnsupportedTransferCoding => 501,
            Self::UnsupportedExpectation => 417,
            Self::RequestLineTooLong => 414,
            Self::ContentTooLarge => 413,
            Self::FieldLineTooLong
            | Self::HeadTooLarge
            | Self::TooManyFields
            | Self::TrailersTooLarge => 431,
            _ => 400,
        }
    }

    /// Whether a configured limit (rather than the grammar) was broken.
    pub fn exceeds_limit(self) -> bool {
        matches!(
            self,
            Self::RequestLineTooLong
                | Self::FieldLineTooLong
                | Self::HeadTooLarge
                | Self::TooManyFields
                | Self::ContentTooLarge
                | Self::ChunkSizeLineTooLong
                | Self::ChunkExtensionsTooLarge
                | Self::TrailersTooLarge
        )
    }

    /// A fixed sentence naming the broken rule; it never contains input bytes.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidRequestLine => "malformed request line",
            Self::InvalidRequestTarget => "malformed request-target",
            Self::InvalidHttpVersion => "malformed HTTP-version",
            Self::UnsupportedHttpVersion => "HTTP version not supported (only 1.0 and 1.1)",
            Self::InvalidStatusLine => "malformed status line",
            Self::InvalidFieldName => "malformed field name",
            Self::InvalidFieldValue => "control character in a field value",
            Self::InvalidLineEnding => "line not terminated by CRLF",
            Self::BareLineFeed => "line terminated by a bare LF",
            Self::ObsoleteLineFolding => "obsolete line folding",
            Self::MissingHost => "HTTP/1.1 request without a Host field",
            Self::MultipleHost => "more than one Host field",
            Self::InvalidHost => "malformed Host field value",
            Self::TransferEncodingWithContentLength => {
                "both Transfer-Encoding and Content-Length present"
            }
            Self::TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            Self::InvalidTransferCoding => "malformed Transfer-Encoding",
            Self::ChunkedNotFinal => "chunked is not the final transfer coding",
            Self::ChunkedRepeated => "chunked applied more than once",
            Self::UnsupportedTransferCoding => "transfer coding not implemented",
            Self::InvalidContentLength => "malformed Content-Length",
            Self::ContentLengthOverflow => "Content-Length too large to represent",
            Self::MultipleContentLength => "more than one Content-Length field",
            Self::ContentInConnect => "CONNECT request with content",
            Self::UnsupportedExpectation => "expectation not supported (only 100-continue)",
            Self::InvalidChunkSize => "malformed chunk-size",
            Self::ChunkSizeOverflow => "chunk-size too large to represent",
            Self::InvalidChunkExtension => "malformed chunk extension",
            Self::ChunkDataNotTerminated => "chunk data not followed by CRLF",
            Self::InvalidTrailerField => "malformed trailer field",
            Self::IncompleteChunkedBody => "input ended before the last chunk",
            Self::IncompleteMessage => "input ended inside a request",
            Self::RequestLineTooLong => "request line too long",
            Self::FieldLineTooLong => "field line too long",
            Self::HeadTooLarge => "request head too large",
            Self::TooManyFields => "too many header fields",
            Self::ContentTooLarge => "content larger than the limit",
            Self::ChunkSizeLineTooLong => "chunk-size line too long",
            Self::ChunkExtensionsTooLarge => "chunk extensions too large",
            Self::TrailersTooLarge => "trailer section too large",
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for HttpError {}

/// The caller asked the encoders for something HTTP cannot carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// A status code outside 100..=999.
    InvalidStatus,
    /// A reason phrase with a control character other than HTAB.
    InvalidReason,
    /// A method that is not a token.
    InvalidMethod,
    /// A request-target that is empty or holds a byte outside printable ASCII.
    InvalidTarget,
    /// A field name that is not a token.
    InvalidFieldName,
    /// A field value with a control character other than HTAB (CR, LF and NUL included).
    InvalidFieldValue,
    /// A character above U+00FF, which has no latin-1 byte.
    NotLatin1,
    /// `encode_response` writes Content-Length itself; the caller passed framing fields.
    FramingFieldGiven,
    /// A 1xx, 204 or 304 response was given a body.
    BodyNotAllowed,
}

impl EncodeError {
    /// A fixed sentence naming the mistake.
    pub fn message(self) -> &'static str {
        match self {
            Self::InvalidStatus => "status code must be in 100..=999",
            Self::InvalidReason => "control character in the reason phrase",
            Self::InvalidMethod => "method must be a token",
            Self::InvalidTarget => "request-target must be non-empty printable ASCII",
            Self::InvalidFieldName => "field name must be a token",
            Self::InvalidFieldValue => "control character (CR, LF, NUL, ...) in a field value",
            Self::NotLatin1 => "character outside latin-1 in a head",
            Self::FramingFieldGiven => {
                "encode_response adds Content-Length itself; do not pass Content-Length or \
                 Transfer-Encoding"
            }
            Self::BodyNotAllowed => "1xx, 204 and 304 responses have no content",
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for EncodeError {}
