//! `HttpLimits`: the Rust limits, fixed at construction, with read-only properties.

use pyo3::prelude::*;

use crate::http::limits::{
    DEFAULT_MAX_CHUNK_EXTENSIONS_SIZE, DEFAULT_MAX_CHUNK_SIZE_LINE, DEFAULT_MAX_HEADER_COUNT,
    DEFAULT_MAX_HEADER_LINE_SIZE, DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_REQUEST_LINE_SIZE,
    DEFAULT_MAX_TRAILER_SIZE,
};
use crate::http::HttpLimits;

/// Every cap the HTTP parsers enforce, checked as bytes arrive; None means unbounded.
#[pyclass(frozen, name = "HttpLimits", module = "wsrs._wsrs")]
pub(crate) struct PyHttpLimits {
    pub(super) inner: HttpLimits,
}

/// The limits a parser was given, or the defaults.
pub(super) fn limits_or_default(limits: Option<&Bound<'_, PyHttpLimits>>) -> HttpLimits {
    limits.map(|l| l.get().inner).unwrap_or_default()
}

#[pymethods]
impl PyHttpLimits {
    #[new]
    #[pyo3(signature = (
        *,
        max_request_line_size = DEFAULT_MAX_REQUEST_LINE_SIZE,
        max_header_line_size = DEFAULT_MAX_HEADER_LINE_SIZE,
        max_head_size = DEFAULT_MAX_HEAD_SIZE,
        max_header_count = DEFAULT_MAX_HEADER_COUNT,
        max_body_size = None,
        max_chunk_size_line = DEFAULT_MAX_CHUNK_SIZE_LINE,
        max_chunk_extensions_size = DEFAULT_MAX_CHUNK_EXTENSIONS_SIZE,
        max_trailer_size = DEFAULT_MAX_TRAILER_SIZE,
        allow_bare_lf = false,
    ))]
    #[allow(clippy::too_many_arguments)] // keyword-only, one per limit, mirrored in the stub
    fn new(
        max_request_line_size: usize,
        max_header_line_size: usize,
        max_head_size: usize,
        max_header_count: usize,
        max_body_size: Option<u64>,
        max_chunk_size_line: usize,
        max_chunk_extensions_size: usize,
        max_trailer_size: usize,
        allow_bare_lf: bool,
    ) -> Self {
        Self {
            inner: HttpLimits {
                max_request_line_size,
                max_header_line_size,
                max_head_size,
                max_header_count,
                max_body_size,
                max_chunk_size_line,
                max_chunk_extensions_size,
                max_trailer_size,
                allow_bare_lf,
            },
        }
    }

    #[getter]
    fn max_request_line_size(&self) -> usize {
        self.inner.max_request_line_size
    }

    #[getter]
    fn max_header_line_size(&self) -> usize {
        self.inner.max_header_line_size
    }

    #[getter]
    fn max_head_size(&self) -> usize {
        self.inner.max_head_size
    }

    #[getter]
    fn max_header_count(&self) -> usize {
        self.inner.max_header_count
    }

    #[getter]
    fn max_body_size(&self) -> Option<u64> {
        self.inner.max_body_size
    }

    #[getter]
    fn max_chunk_size_line(&self) -> usize {
        self.inner.max_chunk_size_line
    }

    #[getter]
    fn max_chunk_extensions_size(&self) -> usize {
        self.inner.max_chunk_extensions_size
    }

    #[getter]
    fn max_trailer_size(&self) -> usize {
        self.inner.max_trailer_size
    }

    #[getter]
    fn allow_bare_lf(&self) -> bool {
        self.inner.allow_bare_lf
    }

    fn __repr__(&self) -> String {
        let l = &self.inner;
        let body = l
            .max_body_size
            .map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "HttpLimits(max_request_line_size={}, max_header_line_size={}, max_head_size={}, \
             max_header_count={}, max_body_size={body}, max_chunk_size_line={}, \
             max_chunk_extensions_size={}, max_trailer_size={}, allow_bare_lf={})",
            l.max_request_line_size,
            l.max_header_line_size,
            l.max_head_size,
            l.max_header_count,
            l.max_chunk_size_line,
            l.max_chunk_extensions_size,
            l.max_trailer_size,
            if l.allow_bare_lf { "True" } else { "False" },
        )
    }
}
