//! `MultipartParser`, `MultipartLimits` and the events of a multipart body: `Preamble`,
//! `PartBegin`, `PartData`, `PartEnd`, `Epilogue`.
//!
//! One `feed` per socket read returns a list. The content a read holds for one part comes out as
//! one `PartData`; when the whole read is content and was given as `bytes`, that very object is
//! handed back (no copy at all), otherwise the content is copied once. `PartBegin.headers` is a
//! `wsrs.Headers`, built on first access: besides the exceptions, the one Python class the core
//! instantiates, so that a part's headers read like a request's.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString};

use super::text::fields_list;
use crate::http::multipart::limits::{
    DEFAULT_MAX_BOUNDARY_SIZE, DEFAULT_MAX_EPILOGUE_SIZE, DEFAULT_MAX_PARTS,
    DEFAULT_MAX_PART_HEADERS_SIZE, DEFAULT_MAX_PART_HEADER_COUNT,
    DEFAULT_MAX_PART_HEADER_LINE_SIZE, DEFAULT_MAX_PREAMBLE_SIZE,
};
use crate::http::multipart::{Event, MultipartError, MultipartLimits, MultipartScanner, PartHead};
use crate::py::errors::{multipart_error_to_py, LocalProtocolError};

/// Every cap the multipart parser enforces, checked at the byte that breaks it.
#[pyclass(frozen, name = "MultipartLimits", module = "wsrs._wsrs")]
pub(crate) struct PyMultipartLimits {
    pub(crate) inner: MultipartLimits,
}

#[pymethods]
impl PyMultipartLimits {
    #[new]
    #[pyo3(signature = (
        *,
        max_boundary_size = DEFAULT_MAX_BOUNDARY_SIZE,
        max_header_line_size = DEFAULT_MAX_PART_HEADER_LINE_SIZE,
        max_header_count = DEFAULT_MAX_PART_HEADER_COUNT,
        max_headers_size = DEFAULT_MAX_PART_HEADERS_SIZE,
        max_parts = DEFAULT_MAX_PARTS,
        max_part_size = None,
        max_preamble_size = DEFAULT_MAX_PREAMBLE_SIZE,
        max_epilogue_size = DEFAULT_MAX_EPILOGUE_SIZE,
        allow_bare_lf = false,
    ))]
    #[allow(clippy::too_many_arguments)] // keyword-only, one per limit, mirrored in the stub
    fn new(
        max_boundary_size: usize,
        max_header_line_size: usize,
        max_header_count: usize,
        max_headers_size: usize,
        max_parts: usize,
        max_part_size: Option<u64>,
        max_preamble_size: usize,
        max_epilogue_size: usize,
        allow_bare_lf: bool,
    ) -> Self {
        Self {
            inner: MultipartLimits {
                max_boundary_size,
                max_header_line_size,
                max_header_count,
                max_headers_size,
                max_parts,
                max_part_size,
                max_preamble_size,
                max_epilogue_size,
                allow_bare_lf,
            },
        }
    }

    #[getter]
    fn max_boundary_size(&self) -> usize {
        self.inner.max_boundary_size
    }

    #[getter]
    fn max_header_line_size(&self) -> usize {
        self.inner.max_header_line_size
    }

    #[getter]
    fn max_header_count(&self) -> usize {
        self.inner.max_header_count
    }

    #[getter]
    fn max_headers_size(&self) -> usize {
        self.inner.max_headers_size
    }

    #[getter]
    fn max_parts(&self) -> usize {
        self.inner.max_parts
    }

    #[getter]
    fn max_part_size(&self) -> Option<u64> {
        self.inner.max_part_size
    }

    #[getter]
    fn max_preamble_size(&self) -> usize {
        self.inner.max_preamble_size
    }

    #[getter]
    fn max_epilogue_size(&self) -> usize {
        self.inner.max_epilogue_size
    }

    #[getter]
    fn allow_bare_lf(&self) -> bool {
        self.inner.allow_bare_lf
    }

    fn __repr__(&self) -> String {
        let l = &self.inner;
        let part = l
            .max_part_size
            .map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "MultipartLimits(max_boundary_size={}, max_header_line_size={}, max_header_count={}, \
             max_headers_size={}, max_parts={}, max_part_size={part}, max_preamble_size={}, \
             max_epilogue_size={}, allow_bare_lf={})",
            l.max_boundary_size,
            l.max_header_line_size,
            l.max_header_count,
            l.max_headers_size,
            l.max_parts,
            l.max_preamble_size,
            l.max_epilogue_size,
            if l.allow_bare_lf { "True" } else { "False" },
        )
    }
}

/// The bytes before the first delimiter (bounded by `max_preamble_size`).
#[pyclass(frozen, name = "Preamble", module = "wsrs._wsrs")]
pub(crate) struct PyPreamble {
    #[pyo3(get)]
    data: Py<PyBytes>,
}

#[pymethods]
impl PyPreamble {
    #[classattr]
    fn __match_args__() -> (&'static str,) {
        ("data",)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("<Preamble {} bytes>", self.data.bind(py).as_bytes().len())
    }
}

/// The bytes after the close delimiter line (bounded by `max_epilogue_size`).
#[pyclass(frozen, name = "Epilogue", module = "wsrs._wsrs")]
pub(crate) struct PyEpilogue {
    #[pyo3(get)]
    data: Py<PyBytes>,
}

#[pymethods]
impl PyEpilogue {
    #[classattr]
    fn __match_args__() -> (&'static str,) {
        ("data",)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("<Epilogue {} bytes>", self.data.bind(py).as_bytes().len())
    }
}

/// A piece of the current part's content.
#[pyclass(frozen, name = "PartData", module = "wsrs._wsrs")]
pub(crate) struct PyPartData {
    #[pyo3(get)]
    data: Py<PyBytes>,
}

#[pymethods]
impl PyPartData {
    #[classattr]
    fn __match_args__() -> (&'static str,) {
        ("data",)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("<PartData {} bytes>", self.data.bind(py).as_bytes().len())
    }
}

/// The current part's content is complete.
#[pyclass(frozen, name = "PartEnd", module = "wsrs._wsrs")]
pub(crate) struct PyPartEnd;

#[pymethods]
impl PyPartEnd {
    #[allow(clippy::unused_self)] // Python calls it as a method
    fn __repr__(&self) -> &'static str {
        "<PartEnd>"
    }
}

static PART_END: PyOnceLock<Py<PyPartEnd>> = PyOnceLock::new();
static HEADERS_TYPE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A part starts: its header fields and what wsrs reads from them.
#[pyclass(frozen, name = "PartBegin", module = "wsrs._wsrs")]
pub(crate) struct PyPartBegin {
    head: Box<PartHead>,
    headers: PyOnceLock<Py<PyAny>>,
}

fn optional_str<'py>(py: Python<'py>, s: Option<&str>) -> Option<Bound<'py, PyString>> {
    s.map(|s| PyString::new(py, s))
}

#[pymethods]
impl PyPartBegin {
    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("name", "filename", "headers")
    }

    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let headers = self.headers.get_or_try_init(py, || {
            let class = HEADERS_TYPE.get_or_try_init(py, || {
                py.import("wsrs")?.getattr("Headers").map(Bound::unbind)
            })?;
            class
                .bind(py)
                .call1((fields_list(py, self.head.fields())?,))
                .map(Bound::unbind)
        })?;
        Ok(headers.bind(py).clone())
    }

    #[getter]
    fn name<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.name())
    }

    #[getter]
    fn filename<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.filename())
    }

    #[getter]
    fn filename_star<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.filename_star())
    }

    #[getter]
    fn disposition<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.disposition())
    }

    #[getter]
    fn content_type<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.content_type())
    }

    #[getter]
    fn charset<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        optional_str(py, self.head.charset())
    }

    fn __repr__(&self) -> String {
        let name = self.head.name().map(|n| format!(" name={n:?}"));
        let filename = self.head.filename().map(|f| format!(" filename={f:?}"));
        format!(
            "<PartBegin{}{}>",
            name.unwrap_or_default(),
            filename.unwrap_or_default()
        )
    }
}

/// One `bytes` for a run of content pieces: `owner` itself when the run is all of it.
fn content_bytes<'py>(
    py: Python<'py>,
    run: &[Cow<'_, [u8]>],
    owner: Option<&Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyBytes>> {
    if let ([Cow::Borrowed(piece)], Some(owner)) = (run, owner) {
        let whole = owner.as_bytes();
        if piece.as_ptr() == whole.as_ptr() && piece.len() == whole.len() {
            return Ok(owner.clone());
        }
    }
    if let [piece] = run {
        return Ok(PyBytes::new(py, piece));
    }
    let len = run.iter().map(|p| p.len()).sum();
    PyBytes::new_with(py, len, |out| {
        let mut at = 0;
        for piece in run {
            out[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
        }
        Ok(())
    })
}

/// The events as Python objects, adjacent content joined.
fn events_list<'py>(
    py: Python<'py>,
    events: Vec<Event<'_>>,
    owner: Option<&Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyList>> {
    let mut out: Vec<Bound<'py, PyAny>> = Vec::with_capacity(events.len());
    let mut run: Vec<Cow<'_, [u8]>> = Vec::new();
    let mut events = events.into_iter().peekable();
    while let Some(event) = events.next() {
        let object = match event {
            Event::Data(piece) => {
                run.push(piece);
                if matches!(events.peek(), Some(Event::Data(_))) {
                    continue;
                }
                let data = content_bytes(py, &run, owner)?.unbind();
                run.clear();
                Bound::new(py, PyPartData { data })?.into_any()
            }
            Event::PartBegin(head) => Bound::new(
                py,
                PyPartBegin {
                    head,
                    headers: PyOnceLock::new(),
                },
            )?
            .into_any(),
            Event::PartEnd => PART_END
                .get_or_try_init(py, || Py::new(py, PyPartEnd))?
                .bind(py)
                .clone()
                .into_any(),
            Event::Preamble(data) => {
                let data = PyBytes::new(py, &data).unbind();
                Bound::new(py, PyPreamble { data })?.into_any()
            }
            Event::Epilogue(data) => {
                let data = PyBytes::new(py, &data).unbind();
                Bound::new(py, PyEpilogue { data })?.into_any()
            }
        };
        out.push(object);
    }
    PyList::new(py, out)
}

/// The bytes of a `str` (latin-1, as header values arrive) or of a bytes-like object.
fn latin1_or_bytes(value: &Bound<'_, PyAny>) -> PyResult<Option<Vec<u8>>> {
    if let Ok(text) = value.cast::<PyString>() {
        let text = text.to_cow()?;
        return Ok(text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect());
    }
    super::with_bytes(value, <[u8]>::to_vec).map(Some)
}

fn limits_or_default(limits: Option<&Bound<'_, PyMultipartLimits>>) -> MultipartLimits {
    limits.map(|l| l.get().inner).unwrap_or_default()
}

/// Reads one multipart body (RFC 2046, RFC 7578) as it arrives, strictly.
#[pyclass(name = "MultipartParser", module = "wsrs._wsrs")]
pub(crate) struct PyMultipartParser {
    inner: MultipartScanner,
    error: Option<PyErr>,
}

impl PyMultipartParser {
    fn with_scanner(scanner: Result<MultipartScanner, MultipartError>) -> PyResult<Self> {
        Ok(Self {
            inner: scanner.map_err(multipart_error_to_py)?,
            error: None,
        })
    }

    fn check(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(error) = &self.error {
            return Err(error.clone_ref(py));
        }
        if self.inner.is_finished() {
            return Err(LocalProtocolError::new_err("the body was already finished"));
        }
        Ok(())
    }

    /// Keeps the events; a violation is raised now when nothing came before it, else recorded
    /// for `error` and the next call.
    fn settle<'py>(
        &mut self,
        list: Bound<'py, PyList>,
        result: Result<(), MultipartError>,
    ) -> PyResult<Bound<'py, PyList>> {
        if let Err(error) = result {
            let error = multipart_error_to_py(error);
            if list.is_empty() {
                return Err(self.error.insert(error).clone_ref(list.py()));
            }
            self.error = Some(error);
        }
        Ok(list)
    }
}

#[pymethods]
impl PyMultipartParser {
    #[new]
    #[pyo3(signature = (boundary, *, limits = None))]
    fn new(
        boundary: &Bound<'_, PyAny>,
        limits: Option<&Bound<'_, PyMultipartLimits>>,
    ) -> PyResult<Self> {
        let limits = limits_or_default(limits);
        let boundary = latin1_or_bytes(boundary)?;
        Self::with_scanner(match boundary {
            Some(boundary) => MultipartScanner::new(&boundary, limits),
            None => Err(MultipartError::InvalidBoundary),
        })
    }

    #[staticmethod]
    #[pyo3(signature = (content_type, *, limits = None))]
    fn from_content_type(
        content_type: &Bound<'_, PyAny>,
        limits: Option<&Bound<'_, PyMultipartLimits>>,
    ) -> PyResult<Self> {
        let limits = limits_or_default(limits);
        Self::with_scanner(match latin1_or_bytes(content_type)? {
            Some(value) => MultipartScanner::from_content_type(&value, limits),
            None => Err(MultipartError::InvalidContentType),
        })
    }

    #[getter]
    fn limits(&self) -> PyMultipartLimits {
        PyMultipartLimits {
            inner: *self.inner.limits(),
        }
    }

    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.error.as_ref().map(|e| e.value(py).clone().into_any())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    #[getter]
    fn finished(&self) -> bool {
        self.inner.is_finished()
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.check(py)?;
        let mut events = Vec::new();
        if let Ok(bytes) = data.cast::<PyBytes>() {
            let result = self.inner.feed(bytes.as_bytes(), &mut events);
            let list = events_list(py, events, Some(bytes))?;
            return self.settle(list, result);
        }
        let copy = super::with_bytes(data, <[u8]>::to_vec)?;
        let result = self.inner.feed(&copy, &mut events);
        let list = events_list(py, events, None)?;
        self.settle(list, result)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.check(py)?;
        let mut events = Vec::new();
        let result = self.inner.finish(&mut events);
        let list = events_list(py, events, None)?;
        self.settle(list, result)
    }

    fn __repr__(&self) -> &'static str {
        if self.error.is_some() {
            "<MultipartParser failed>"
        } else if self.inner.is_finished() {
            "<MultipartParser finished>"
        } else if self.inner.is_closed() {
            "<MultipartParser closed>"
        } else {
            "<MultipartParser reading>"
        }
    }
}
