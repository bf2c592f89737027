//! HTTP/1.1 request heads, body framing and the chunked coding (RFC 9112), multipart bodies, and
//! the response-side pieces a WebSocket server and client need.
//!
//! - `parser::RequestParser` turns a byte stream into request events: heads (`request`, parsed by
//!   httparse once the `scan`ner has found their end), bodies framed by Content-Length or chunked
//!   (`body`, `chunked`), and ends. Pipelining, pausing after an upgrade, and limits live there.
//! - `chunked::ChunkedDecoder` decodes one chunked body on its own.
//! - `multipart::MultipartScanner` reads a multipart body (RFC 2046, RFC 7578), its part headers
//!   read by the same field-line scanner as a head; `urlencoded::form_decode` decodes a form's
//!   names and values.
//! - `encode` writes response heads, whole small responses, request heads, chunks and last
//!   chunks; `response::parse_response_head` reads a handshake response.
//!
//! The rules are strict where the RFC lets a recipient choose, because every leniency between two
//! HTTP parsers is a smuggling vector; each module quotes the sentences it follows. Errors are
//! values (`HttpError`) that carry the status to answer with and never quote the input.

pub mod body;
pub mod chunked;
pub mod encode;
pub mod error;
pub mod headers;
pub mod limits;
pub mod multipart;
pub mod parser;
pub mod request;
pub mod response;
mod scan;
pub mod urlencoded;

#[cfg(test)]
mod tests;

pub use body::Framing;
pub use chunked::{chunk_len, encode_chunk, write_chunk, ChunkedDecoder};
pub use encode::{
    encode_fixed_response, encode_last_chunk, encode_request_head, encode_response,
    encode_response_head, fixed_fields, fixed_plan, reason_phrase, FixedFields, FixedFraming,
    HeadPlan,
};
pub use error::{EncodeError, HttpError};
pub use headers::Fields;
pub use limits::{HttpLimits, DEFAULT_MAX_HEAD_SIZE};
pub use parser::{Batch, BodyBytes, Event, RequestParser};
pub use request::{RequestHead, Version};
pub use response::{parse_response_head, ResponseHead};
