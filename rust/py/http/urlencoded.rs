//! `form_decode`: one urlencoded name or value decoded, one call per field.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::with_bytes;

/// `data` with `+` as a space and `%XX` as its byte; any other `%` is kept as sent.
#[pyfunction]
pub(crate) fn form_decode<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    with_bytes(data, |bytes| {
        PyBytes::new(py, &crate::http::urlencoded::form_decode(bytes))
    })
}
