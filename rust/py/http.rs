//! Bindings for the HTTP codecs: limits, the request parser and its events, the chunked decoder,
//! the multipart parser and its events, the head encoders, the response-head parser and the
//! urlencoded form decoder.
//!
//! Each `feed` is one Rust call per socket read and returns a list. Body bytes are copied once,
//! from the caller's buffer straight into the `bytes` handed out, and the pieces of one body that
//! a read holds come out as one `bytes` (chunk boundaries carry no meaning, RFC 9112 §7.1).

mod chunked;
mod limits;
mod multipart;
mod request;
mod response;
mod text;
mod urlencoded;

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

use super::errors::{LocalProtocolError, PayloadTooBig, RemoteProtocolError};
use crate::http::{EncodeError, HttpError, DEFAULT_MAX_HEAD_SIZE};

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_MAX_HEAD_SIZE", DEFAULT_MAX_HEAD_SIZE)?;
    m.add_class::<limits::PyHttpLimits>()?;
    m.add_class::<request::PyRequestHead>()?;
    m.add_class::<request::PyEndOfMessage>()?;
    m.add_class::<request::PyRequestParser>()?;
    m.add_class::<response::PyResponseHead>()?;
    m.add_class::<chunked::PyChunkedDecoder>()?;
    m.add_class::<multipart::PyMultipartLimits>()?;
    m.add_class::<multipart::PyMultipartParser>()?;
    m.add_class::<multipart::PyPreamble>()?;
    m.add_class::<multipart::PyPartBegin>()?;
    m.add_class::<multipart::PyPartData>()?;
    m.add_class::<multipart::PyPartEnd>()?;
    m.add_class::<multipart::PyEpilogue>()?;
    m.add_function(wrap_pyfunction!(response::parse_response_head, m)?)?;
    m.add_function(wrap_pyfunction!(response::encode_response_head, m)?)?;
    m.add_function(wrap_pyfunction!(response::encode_response, m)?)?;
    m.add_function(wrap_pyfunction!(response::encode_fixed_response, m)?)?;
    m.add_function(wrap_pyfunction!(response::encode_request_head, m)?)?;
    m.add_function(wrap_pyfunction!(chunked::encode_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(chunked::encode_last_chunk, m)?)?;
    m.add_function(wrap_pyfunction!(urlencoded::form_decode, m)?)?;
    Ok(())
}

/// The Python exception for a peer's violation: `PayloadTooBig` for a limit, else
/// `RemoteProtocolError`, with the status that answers it and the default close code.
pub(crate) fn http_error(error: HttpError) -> PyErr {
    let args = (error.message(), None::<u16>, error.status_hint());
    if error.exceeds_limit() {
        PayloadTooBig::new_err(args)
    } else {
        RemoteProtocolError::new_err(args)
    }
}

/// The Python exception for the caller's mistake.
fn encode_error(error: EncodeError) -> PyErr {
    LocalProtocolError::new_err(error.message())
}

/// Runs `f` on the bytes of a `bytes`, `bytearray` or buffer object. `bytes` is read in place;
/// the others are copied first, because building Python objects inside `f` may run code that
/// resizes a mutable buffer.
fn with_bytes<R>(data: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(bytes) = data.cast::<PyBytes>() {
        return Ok(f(bytes.as_bytes()));
    }
    if let Ok(array) = data.cast::<PyByteArray>() {
        return Ok(f(&array.to_vec()));
    }
    let buffer = PyBuffer::<u8>::get(data)?;
    Ok(f(&buffer.to_vec(data.py())?))
}
