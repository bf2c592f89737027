//! The Python exception classes the core raises; they are defined in `wsrs.exceptions`.
//!
//! The functions here are the only place a Rust error becomes a `PyErr`: a peer's violation
//! becomes `RemoteProtocolError` (or `PayloadTooBig` for sizes) carrying its close code, a
//! multipart body's becomes `MultipartError` carrying its HTTP status; the caller's misuse
//! becomes `LocalProtocolError`, or a plain `ValueError` for a bad value; a server's
//! permessage-deflate answer the client must refuse becomes `HandshakeError`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::PyErr;

use crate::http::multipart::MultipartError as RustMultipartError;
use crate::ws::{UsageError, WsError};

pyo3::import_exception!(wsrs.exceptions, RemoteProtocolError);
pyo3::import_exception!(wsrs.exceptions, PayloadTooBig);
pyo3::import_exception!(wsrs.exceptions, LocalProtocolError);
pyo3::import_exception!(wsrs.exceptions, HandshakeError);
pyo3::import_exception!(wsrs.exceptions, MultipartError);

/// The exception for a peer's violation of RFC 6455, with `close_code` set to the code that
/// answers it and `status_hint` left to its class default.
pub(crate) fn ws_error_to_py(err: WsError) -> PyErr {
    let args = (err.to_string(), err.close_code());
    if err.is_too_big() {
        PayloadTooBig::new_err(args)
    } else {
        RemoteProtocolError::new_err(args)
    }
}

/// The exception for a request the protocol forbids (`LocalProtocolError`, itself a
/// `ValueError`) or for an out-of-range value (`ValueError`).
pub(crate) fn usage_error_to_py(err: UsageError) -> PyErr {
    if err.is_value_error() {
        PyValueError::new_err(err.to_string())
    } else {
        LocalProtocolError::new_err(err.to_string())
    }
}

/// The exception for a server's handshake answer that the client must refuse (RFC 7692 §7): a
/// `HandshakeError` with the 101 status the answer came with.
pub(crate) fn negotiation_error_to_py(py: Python<'_>, message: &str) -> PyErr {
    let built = (|| {
        let kwargs = PyDict::new(py);
        kwargs.set_item("status", 101)?;
        let error = py
            .get_type::<HandshakeError>()
            .call((message,), Some(&kwargs))?;
        Ok::<_, PyErr>(PyErr::from_value(error))
    })();
    built.unwrap_or_else(|err| err)
}

/// The exception for a multipart body, media type or part header that breaks RFC 2046 / 7578 or
/// a limit, with `status_hint` set to the status that answers it (400, 413 or 415).
pub(crate) fn multipart_error_to_py(err: RustMultipartError) -> PyErr {
    MultipartError::new_err((err.message(), None::<u16>, err.status_hint()))
}

/// A bad argument to a binding that no `UsageError` names (a read count larger than the view it
/// was read into, say): a plain `ValueError`.
pub(crate) fn value_error(message: String) -> PyErr {
    PyValueError::new_err(message)
}
