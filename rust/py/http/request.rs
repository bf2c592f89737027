//! `RequestParser` and its events, `RequestHead` and `EndOfMessage`.
//!
//! A head keeps the Rust `RequestHead` and its header list, built when the head is parsed from
//! the tuples of the previous request where field lines repeat (`FieldReuse`); other strings are
//! made when asked for. A body-less `EndOfMessage` is one shared instance.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString};

use super::limits::{limits_or_default, PyHttpLimits};
use super::text::{
    asgi_fields_list, fields_list, get_all_fields, get_field, method_str, FieldReuse,
};
use super::{http_error, with_bytes};
use crate::http::{Batch, BodyBytes, Event, Fields, HttpError, RequestHead, RequestParser};
use crate::py::errors::LocalProtocolError;

/// A parsed request line and header section, with the framing facts the pipeline needs.
#[pyclass(frozen, name = "RequestHead", module = "wsrs._wsrs")]
pub(crate) struct PyRequestHead {
    head: Box<RequestHead>,
    headers: Py<PyList>,
}

#[pymethods]
impl PyRequestHead {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("method", "target", "headers")
    }

    #[getter]
    fn method<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        method_str(py, self.head.method())
    }

    #[getter]
    fn target<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        PyString::new(py, self.head.target())
    }

    #[getter]
    fn version<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        version_str(py, self.head.version())
    }

    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> Bound<'py, PyList> {
        self.headers.bind(py).clone()
    }

    /// The fields as ASGI scopes carry them: `(name, value)` byte strings, names lowercased.
    #[getter]
    fn asgi_headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        asgi_fields_list(py, self.head.fields())
    }

    /// The target as an ASGI scope carries it, `(path, raw_path, query_string)`, when that
    /// takes no decoding: None for a path with `%` escapes or a target not in origin form.
    #[getter]
    fn asgi_target<'py>(
        &self,
        py: Python<'py>,
    ) -> Option<(
        Bound<'py, PyString>,
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
    )> {
        let target = self.head.target();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if !path.starts_with('/') || path.contains('%') || !target.is_ascii() {
            return None;
        }
        let raw = PyBytes::new(py, path.as_bytes());
        Some((
            PyString::new(py, path),
            raw,
            PyBytes::new(py, query.as_bytes()),
        ))
    }

    #[getter]
    fn keep_alive(&self) -> bool {
        self.head.keep_alive()
    }

    #[getter]
    fn upgrade(&self) -> Option<&str> {
        self.head.upgrade()
    }

    #[getter]
    fn expect_continue(&self) -> bool {
        self.head.expect_continue()
    }

    #[getter]
    fn content_length(&self) -> Option<u64> {
        self.head.content_length()
    }

    #[getter]
    fn chunked(&self) -> bool {
        self.head.chunked()
    }

    #[pyo3(signature = (name, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        get_field(py, self.head.fields(), name, default)
    }

    fn get_all<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        get_all_fields(py, self.head.fields(), name)
    }

    fn __repr__(&self) -> String {
        let h = &self.head;
        format!(
            "<RequestHead {} {} HTTP/{}>",
            h.method(),
            h.target(),
            h.version().as_str()
        )
    }
}

/// `"1.0"` or `"1.1"`, interned.
pub(super) fn version_str(py: Python<'_>, version: crate::http::Version) -> Bound<'_, PyString> {
    match version {
        crate::http::Version::Http10 => pyo3::intern!(py, "1.0").clone(),
        crate::http::Version::Http11 => pyo3::intern!(py, "1.1").clone(),
    }
}

/// The end of a request's body, with any chunked trailer fields.
#[pyclass(frozen, name = "EndOfMessage", module = "wsrs._wsrs")]
pub(crate) struct PyEndOfMessage {
    trailers: Fields,
}

#[pymethods]
impl PyEndOfMessage {
    #[classattr]
    fn __match_args__() -> (&'static str,) {
        ("trailers",)
    }

    /// A new list on every access: the body-less instance is shared.
    #[getter]
    fn trailers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        fields_list(py, &self.trailers)
    }

    fn __repr__(&self) -> String {
        format!("<EndOfMessage trailers={}>", self.trailers.len())
    }
}

static PLAIN_END: PyOnceLock<Py<PyEndOfMessage>> = PyOnceLock::new();

fn end_of_message(py: Python<'_>, trailers: Fields) -> PyResult<Bound<'_, PyAny>> {
    if trailers.is_empty() {
        let end = PLAIN_END.get_or_try_init(py, || Py::new(py, PyEndOfMessage { trailers }))?;
        return Ok(end.bind(py).clone().into_any());
    }
    Ok(Bound::new(py, PyEndOfMessage { trailers })?.into_any())
}

/// One `bytes` holding a body run's slices.
fn body_bytes<'py>(
    py: Python<'py>,
    body: BodyBytes<'_>,
    run: std::ops::Range<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    if run.len() == 1 {
        return Ok(PyBytes::new(
            py,
            body.slices(run).next().unwrap_or_default(),
        ));
    }
    PyBytes::new_with(py, body.len(run.clone()), |out| {
        let mut at = 0;
        for slice in body.slices(run) {
            out[at..at + slice.len()].copy_from_slice(slice);
            at += slice.len();
        }
        Ok(())
    })
}

/// The events of a batch as a list, and the error that stopped it.
fn events_list<'py>(
    py: Python<'py>,
    batch: Batch<'_>,
    reuse: &mut FieldReuse,
) -> PyResult<(Bound<'py, PyList>, Option<HttpError>)> {
    let mut out: Vec<Bound<'py, PyAny>> = Vec::with_capacity(batch.events.len());
    for event in batch.events {
        out.push(match event {
            Event::Head(head) => {
                let headers = reuse.list(py, head.fields())?.unbind();
                Bound::new(py, PyRequestHead { head, headers })?.into_any()
            }
            Event::Body { run } => body_bytes(py, batch.body, run)?.into_any(),
            Event::End(trailers) => end_of_message(py, trailers)?,
        });
    }
    Ok((PyList::new(py, out)?, batch.error))
}

/// Parses pipelined requests: heads, bodies (Content-Length or chunked) and their ends.
#[pyclass(name = "RequestParser", module = "wsrs._wsrs")]
pub(crate) struct PyRequestParser {
    inner: RequestParser,
    reuse: FieldReuse,
    error: Option<PyErr>,
}

impl PyRequestParser {
    /// Keeps the events, records the error (once) for `error` and the next call.
    fn settle<'py>(
        &mut self,
        (events, error): (Bound<'py, PyList>, Option<HttpError>),
    ) -> Bound<'py, PyList> {
        if let (Some(error), None) = (error, &self.error) {
            self.error = Some(http_error(error));
        }
        events
    }

    fn check(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(error) = &self.error {
            return Err(error.clone_ref(py));
        }
        if self.inner.is_handed_over() {
            return Err(LocalProtocolError::new_err(
                "the bytes after the upgrade were handed over by take_trailing()",
            ));
        }
        Ok(())
    }
}

#[pymethods]
impl PyRequestParser {
    #[new]
    #[pyo3(signature = (limits = None))]
    fn new(limits: Option<&Bound<'_, PyHttpLimits>>) -> Self {
        Self {
            inner: RequestParser::new(limits_or_default(limits)),
            reuse: FieldReuse::default(),
            error: None,
        }
    }

    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| e.value(py).clone().into_any())
    }

    #[getter]
    fn paused(&self) -> bool {
        self.inner.is_paused()
    }

    #[getter]
    fn idle(&self) -> bool {
        self.inner.is_idle()
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.check(py)?;
        let (inner, reuse) = (&mut self.inner, &mut self.reuse);
        let result = with_bytes(data, |bytes| events_list(py, inner.feed(bytes), reuse))??;
        Ok(self.settle(result))
    }

    fn feed_eof(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Err(error) = self.inner.feed_eof() {
            return Err(self
                .error
                .get_or_insert_with(|| http_error(error))
                .clone_ref(py));
        }
        Ok(())
    }

    fn resume<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.check(py)?;
        let result = events_list(py, self.inner.resume(), &mut self.reuse)?;
        Ok(self.settle(result))
    }

    fn take_trailing<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        match self.inner.take_trailing() {
            Some(bytes) => Ok(PyBytes::new(py, &bytes)),
            None => Err(LocalProtocolError::new_err(
                "take_trailing() needs a parser paused after an upgrade or CONNECT",
            )),
        }
    }

    fn __repr__(&self) -> String {
        let state = if self.error.is_some() {
            "failed"
        } else if self.inner.is_paused() {
            "paused"
        } else if self.inner.is_idle() {
            "idle"
        } else {
            "reading"
        };
        format!("<RequestParser {state}>")
    }
}
