//! The pyo3 bindings: the only module that knows about Python.

#[cfg(target_os = "linux")]
mod alarm;
mod errors;
mod http;
mod socket;
mod ws;

use pyo3::prelude::*;

/// The `wsrs._wsrs` extension module.
#[pymodule]
fn _wsrs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    ws::register(m)?;
    http::register(m)?;
    socket::register(m)?;
    #[cfg(target_os = "linux")]
    alarm::register(m)?;
    Ok(())
}
