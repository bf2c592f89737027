//! `ChunkedDecoder`, `encode_chunk` and `encode_last_chunk`.

use std::ops::Range;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::limits::{limits_or_default, PyHttpLimits};
use super::response::{borrow_fields, collect_fields};
use super::text::fields_list;
use super::{encode_error, http_error, with_bytes};
use crate::http::{chunk_len, write_chunk, ChunkedDecoder, HeadPlan, HttpError};

/// Decodes one chunked body (RFC 9112 §7.1) as it arrives; bytes after its end are kept.
#[pyclass(name = "ChunkedDecoder", module = "wsrs._wsrs")]
pub(crate) struct PyChunkedDecoder {
    inner: ChunkedDecoder,
    pieces: Vec<Range<usize>>,
    trailing: Vec<u8>,
    error: Option<PyErr>,
}

impl PyChunkedDecoder {
    /// Decodes `input`: the data as one `bytes` (or none), keeping what follows the body.
    fn decode<'py>(&mut self, py: Python<'py>, input: &[u8]) -> PyResult<Bound<'py, PyList>> {
        if self.inner.is_done() {
            self.trailing.extend_from_slice(input);
            return Ok(PyList::empty(py));
        }
        self.pieces.clear();
        let pieces = &mut self.pieces;
        match self.inner.decode(input, |r| pieces.push(r)) {
            Ok(used) if self.inner.is_done() => self.trailing.extend_from_slice(&input[used..]),
            Ok(_) => {}
            Err(error) => self.error = Some(http_error(error)),
        }
        let data = match self.pieces.as_slice() {
            [] => return Ok(PyList::empty(py)),
            [one] => PyBytes::new(py, &input[one.clone()]),
            many => {
                let len = many.iter().map(ExactSizeIterator::len).sum();
                PyBytes::new_with(py, len, |out| {
                    let mut at = 0;
                    for piece in many {
                        out[at..at + piece.len()].copy_from_slice(&input[piece.clone()]);
                        at += piece.len();
                    }
                    Ok(())
                })?
            }
        };
        PyList::new(py, [data])
    }
}

#[pymethods]
impl PyChunkedDecoder {
    #[new]
    #[pyo3(signature = (limits = None))]
    fn new(limits: Option<&Bound<'_, PyHttpLimits>>) -> Self {
        Self {
            inner: ChunkedDecoder::new(limits_or_default(limits)),
            pieces: Vec::new(),
            trailing: Vec::new(),
            error: None,
        }
    }

    #[getter]
    fn done(&self) -> bool {
        self.inner.is_done()
    }

    #[getter]
    fn trailers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        fields_list(py, self.inner.trailers())
    }

    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| e.value(py).clone().into_any())
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        if let Some(error) = &self.error {
            return Err(error.clone_ref(py));
        }
        with_bytes(data, |bytes| self.decode(py, bytes))?
    }

    fn feed_eof(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(error) = &self.error {
            return Err(error.clone_ref(py));
        }
        if self.inner.is_done() {
            return Ok(());
        }
        let error = http_error(HttpError::IncompleteChunkedBody);
        self.error = Some(error.clone_ref(py));
        Err(error)
    }

    fn take_trailing<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = PyBytes::new(py, &self.trailing);
        self.trailing.clear();
        bytes
    }

    fn __repr__(&self) -> String {
        let state = if self.error.is_some() {
            "failed"
        } else if self.inner.is_done() {
            "done"
        } else {
            "reading"
        };
        format!("<ChunkedDecoder {state}>")
    }
}

/// One chunk: lowercase hex size, CRLF, data, CRLF (empty data gives empty bytes).
#[pyfunction]
pub(crate) fn encode_chunk<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    with_bytes(data, |bytes| {
        PyBytes::new_with(py, chunk_len(bytes.len()), |out| {
            write_chunk(out, bytes);
            Ok(())
        })
    })?
}

/// `0` CRLF, the trailer fields, CRLF.
#[pyfunction]
#[pyo3(signature = (trailers = None), text_signature = "(trailers=())")]
pub(crate) fn encode_last_chunk<'py>(
    py: Python<'py>,
    trailers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owned = match trailers {
        Some(t) => collect_fields(t)?,
        None => Vec::new(),
    };
    let fields = borrow_fields(&owned)?;
    let plan = HeadPlan::last_chunk(&fields).map_err(encode_error)?;
    PyBytes::new_with(py, plan.len(), |out| {
        plan.write(out);
        Ok(())
    })
}
