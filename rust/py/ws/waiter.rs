//! `InboxWaiter`: what a task waiting at an `Inbox` awaits on asyncio's loops, a future-like
//! object asyncio's `Task` accepts, woken by the inbox from Rust.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use pyo3::{intern, PyTraverseError, PyVisit};

/// `asyncio.CancelledError` and `asyncio.InvalidStateError`.
static ASYNCIO_ERRORS: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn asyncio_errors(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    ASYNCIO_ERRORS.get_or_try_init(py, || {
        let module = py.import("asyncio")?;
        Ok((
            module.getattr("CancelledError")?.unbind(),
            module.getattr("InvalidStateError")?.unbind(),
        ))
    })
}

/// `loop.call_soon(callback, waiter, context=context)`: a wake-up on the loop's next turn.
pub(super) fn call_soon(
    event_loop: &Bound<'_, PyAny>,
    callback: &Py<PyAny>,
    waiter: &Bound<'_, PyAny>,
    context: Option<&Py<PyAny>>,
) -> PyResult<()> {
    let py = event_loop.py();
    let kwargs = PyDict::new(py);
    if let Some(context) = context {
        kwargs.set_item(intern!(py, "context"), context)?;
    }
    event_loop.call_method(intern!(py, "call_soon"), (callback, waiter), Some(&kwargs))?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum WaiterState {
    Pending,
    Woken,
    Cancelled,
}

/// What a task waiting at an `Inbox` awaits: enough of `asyncio.Future` for asyncio's `Task`
/// (`_asyncio_future_blocking`, `get_loop`, `add_done_callback`, `cancel`, `result`). It is
/// woken with no result; a cancelled one raises `CancelledError` from `result`, as a future does.
#[pyclass(name = "InboxWaiter", module = "wsrs._wsrs")]
pub(crate) struct PyInboxWaiter {
    event_loop: Py<PyAny>,
    pub(super) state: WaiterState,
    /// The done callbacks, with the context each runs in (None: the loop copies the current one).
    pub(super) callbacks: Vec<(Py<PyAny>, Option<Py<PyAny>>)>,
    blocking: bool,
    cancel_message: Option<Py<PyAny>>,
}

impl PyInboxWaiter {
    pub(super) fn new(event_loop: Py<PyAny>) -> Self {
        Self {
            event_loop,
            state: WaiterState::Pending,
            callbacks: Vec::new(),
            blocking: true,
            cancel_message: None,
        }
    }

    fn cancelled_error(&self, py: Python<'_>) -> PyResult<PyErr> {
        let kind = asyncio_errors(py)?.0.bind(py);
        let error = match &self.cancel_message {
            Some(message) => kind.call1((message,))?,
            None => kind.call0()?,
        };
        Ok(PyErr::from_value(error))
    }
}

#[pymethods]
impl PyInboxWaiter {
    #[getter(_asyncio_future_blocking)]
    fn future_blocking(&self) -> bool {
        self.blocking
    }

    #[setter(_asyncio_future_blocking)]
    fn set_future_blocking(&mut self, blocking: bool) {
        self.blocking = blocking;
    }

    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    #[pyo3(signature = (callback, /, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        callback: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let mut waiter = slf.borrow_mut();
        if waiter.state == WaiterState::Pending {
            waiter.callbacks.push((callback, context));
            return Ok(());
        }
        let event_loop = waiter.event_loop.clone_ref(py);
        drop(waiter);
        call_soon(
            event_loop.bind(py),
            &callback,
            slf.as_any(),
            context.as_ref(),
        )
    }

    /// Removes every registration of `callback`; returns how many there were.
    fn remove_done_callback(&mut self, callback: &Bound<'_, PyAny>) -> PyResult<usize> {
        let before = self.callbacks.len();
        let mut kept = Vec::with_capacity(before);
        for (registered, context) in self.callbacks.drain(..) {
            if !registered.bind(callback.py()).eq(callback)? {
                kept.push((registered, context));
            }
        }
        self.callbacks = kept;
        Ok(before - self.callbacks.len())
    }

    /// Cancels a waiting task's wait: its callbacks run on the loop's next turn.
    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<Py<PyAny>>) -> PyResult<bool> {
        let py = slf.py();
        let mut waiter = slf.borrow_mut();
        if waiter.state != WaiterState::Pending {
            return Ok(false);
        }
        waiter.state = WaiterState::Cancelled;
        waiter.cancel_message = msg;
        let callbacks = std::mem::take(&mut waiter.callbacks);
        let event_loop = waiter.event_loop.clone_ref(py);
        drop(waiter);
        for (callback, context) in &callbacks {
            call_soon(
                event_loop.bind(py),
                callback,
                slf.as_any(),
                context.as_ref(),
            )?;
        }
        Ok(true)
    }

    fn cancelled(&self) -> bool {
        self.state == WaiterState::Cancelled
    }

    fn done(&self) -> bool {
        self.state != WaiterState::Pending
    }

    fn result(&self, py: Python<'_>) -> PyResult<()> {
        match self.state {
            WaiterState::Woken => Ok(()),
            WaiterState::Cancelled => Err(self.cancelled_error(py)?),
            WaiterState::Pending => Err(PyErr::from_value(
                asyncio_errors(py)?
                    .1
                    .bind(py)
                    .call1(("Result is not set.",))?,
            )),
        }
    }

    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.result(py).map(|()| None)
    }

    fn __repr__(&self) -> &'static str {
        match self.state {
            WaiterState::Pending => "<InboxWaiter pending>",
            WaiterState::Woken => "<InboxWaiter woken>",
            WaiterState::Cancelled => "<InboxWaiter cancelled>",
        }
    }

    #[allow(clippy::needless_pass_by_value)] // the signature pyo3 requires
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        for (callback, context) in &self.callbacks {
            visit.call(callback)?;
            visit.call(context)?;
        }
        visit.call(&self.cancel_message)
    }

    fn __clear__(&mut self) {
        self.callbacks.clear();
        self.cancel_message = None;
    }
}
