//! `SocketWriter`: writes to a plain TCP socket itself while its asyncio transport has nothing
//! buffered, as the transport's own `write` would first try, without the Python that `write`
//! runs on asyncio's selector loops. Everything else goes to the transport's `write`. And
//! `recv`, the read half, for the session's inbox (`Inbox.read_ready`).

use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::PyTraverseError;

/// A transport's `write` for a non-blocking socket, trying `send(2)` first.
#[pyclass(name = "SocketWriter", module = "wsrs._wsrs")]
pub(crate) struct PySocketWriter {
    fd: i32,
    transport: Option<Py<PyAny>>,
}

impl PySocketWriter {
    /// Bytes `send(2)` took of `data` now, or None when it took none or failed (the
    /// transport then meets the error itself, as it would have).
    #[cfg(unix)]
    fn send(&self, data: &[u8]) -> Option<usize> {
        #[cfg(target_os = "linux")]
        let flags = libc::MSG_NOSIGNAL;
        #[cfg(not(target_os = "linux"))]
        let flags = 0;
        // SAFETY: `data` is a live slice for the whole call; `send` only reads it. The
        // descriptor belongs to a transport that is not closing, so it is still its socket.
        let sent = unsafe { libc::send(self.fd, data.as_ptr().cast(), data.len(), flags) };
        usize::try_from(sent).ok().filter(|sent| *sent > 0)
    }

    #[cfg(not(unix))]
    fn send(&self, _data: &[u8]) -> Option<usize> {
        None
    }
}

/// One `recv(2)` of at most `len` bytes from the socket `fd` into `buf`: the bytes read, 0 at
/// the end of the stream.
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes for the whole call.
#[cfg(unix)]
pub(crate) unsafe fn recv(fd: i32, buf: *mut u8, len: usize) -> std::io::Result<usize> {
    // SAFETY: the caller guarantees `buf` for `len` bytes; `recv` writes at most that many.
    let read = unsafe { libc::recv(fd, buf.cast(), len, 0) };
    usize::try_from(read).map_err(|_| std::io::Error::last_os_error())
}

#[pymethods]
impl PySocketWriter {
    #[new]
    fn new(fd: i32, transport: Py<PyAny>) -> Self {
        Self {
            fd,
            transport: Some(transport),
        }
    }

    /// Write `data`: straight to the socket while the transport has nothing buffered and is
    /// not closing; what the socket does not take, or all of it otherwise, to the transport.
    fn __call__(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let Some(transport) = &self.transport else {
            return Ok(());
        };
        let transport = transport.bind(py);
        let write = intern!(py, "write");
        if let Ok(bytes) = data.cast::<PyBytes>() {
            let buf = bytes.as_bytes();
            if !buf.is_empty()
                && transport
                    .call_method0(intern!(py, "get_write_buffer_size"))?
                    .extract::<usize>()?
                    == 0
                && !transport
                    .call_method0(intern!(py, "is_closing"))?
                    .is_truthy()?
            {
                if let Some(sent) = self.send(buf) {
                    if sent < buf.len() {
                        transport.call_method1(write, (PyBytes::new(py, &buf[sent..]),))?;
                    }
                    return Ok(());
                }
            }
        }
        transport.call_method1(write, (data,))?;
        Ok(())
    }

    // pyo3 hands the visitor over by value.
    #[allow(clippy::needless_pass_by_value)]
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(transport) = &self.transport {
            visit.call(transport)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.transport = None;
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySocketWriter>()
}
