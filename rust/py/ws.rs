//! Bindings for the WebSocket codec.

use pyo3::prelude::*;

use crate::ws::DEFAULT_MAX_FRAME_SIZE;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_MAX_FRAME_SIZE", DEFAULT_MAX_FRAME_SIZE)
}
