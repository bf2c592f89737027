//! Bindings for the HTTP codecs.

use pyo3::prelude::*;

use crate::http::DEFAULT_MAX_HEAD_SIZE;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_MAX_HEAD_SIZE", DEFAULT_MAX_HEAD_SIZE)
}
