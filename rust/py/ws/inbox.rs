//! `Inbox`: a session's incoming side, from the socket read to the task that takes the message.
//!
//! One call per read decodes it and hands each whole message to the session's handler or queues
//! it here; the session's Python sees only control frames, violations and changes of state. On
//! asyncio's loops the inbox is also what `async for` awaits: a waiting task is handed an
//! `InboxWaiter`, a future-like object asyncio's `Task` accepts, and a read that queues messages
//! resumes that task before it returns (`resume`), with no turn of the loop in between.
//!
//! The session is called back by name for what stays Python: `_deliver(events)` (a control
//! frame and what follows it, or a violation), `_handler_failed(error)`, `_after_handler()`
//! while writes are paused, `_update_reading()` when the inbox fills or drains, and
//! `_inbox_end()` for the exception an empty, closed inbox ends a wait with.

use std::collections::VecDeque;

use pyo3::exceptions::{
    PyException, PyKeyboardInterrupt, PyRuntimeError, PyStopIteration, PySystemExit,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyWeakrefMethods, PyWeakrefReference};
use pyo3::{intern, PyTraverseError, PyVisit};

use super::codec::{decode_read, PyFrameDecoder};
use super::frame::PyFrame;
use super::waiter::{call_soon, PyInboxWaiter, WaiterState};

/// Raises `error`: what the loop runs for an interrupt out of a read (`interrupt_on_loop`).
#[pyfunction]
fn raise_again(error: Bound<'_, PyAny>) -> PyResult<()> {
    Err(PyErr::from_value(error))
}

/// A session's incoming messages and the tasks waiting for them; see the module docs.
#[pyclass(name = "Inbox", module = "wsrs._wsrs")]
pub(crate) struct PyInbox {
    /// Weak: the session holds the inbox (its `buffer_updated` is `read`), and a finished
    /// session is then freed by its reference count, not left to the cyclic collector.
    session: Option<Py<PyWeakrefReference>>,
    decoder: Option<Py<PyFrameDecoder>>,
    items: VecDeque<Py<PyAny>>,
    handler: Option<Py<PyAny>>,
    capacity: usize,
    resume_below: usize,
    /// Reading is paused because the inbox is full (`capacity`), until it drains to `resume_below`.
    paused: bool,
    /// No more items come: an empty inbox ends a wait with the session's `_inbox_end()`.
    closed: bool,
    /// The asyncio loop whose tasks wait here; None on trio, where `parking` is woken instead.
    event_loop: Option<Py<PyAny>>,
    parking: Option<Py<PyAny>>,
    /// Resume a woken task inside the read callback instead of scheduling it: for transports
    /// that read in loop callbacks, where no task runs.
    resume: bool,
    waiters: Vec<Py<PyInboxWaiter>>,
    /// The socket `read_ready` reads, once the session has made it the loop's reader callback.
    socket_fd: Option<i32>,
}

impl PyInbox {
    fn session<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.session
            .as_ref()
            .and_then(|session| session.bind(py).upgrade())
            .ok_or_else(|| PyRuntimeError::new_err("the inbox's session is gone"))
    }

    /// Wakes the waiting tasks: at once when `now` and the inbox resumes tasks, else on the
    /// loop's next turn.
    fn wake_waiters(slf: &Bound<'_, Self>, now: bool) -> PyResult<()> {
        let py = slf.py();
        let (waiters, event_loop, resume, parking) = {
            let mut inbox = slf.borrow_mut();
            if let Some(parking) = &inbox.parking {
                (Vec::new(), None, false, Some(parking.clone_ref(py)))
            } else if inbox.waiters.is_empty() {
                return Ok(());
            } else {
                // Swapped out first: a resumed task waits again on the new list.
                let waiters = std::mem::take(&mut inbox.waiters);
                let event_loop = inbox.event_loop.as_ref().map(|l| l.clone_ref(py));
                (waiters, event_loop, inbox.resume && now, None)
            }
        };
        if let Some(parking) = parking {
            parking.call_method0(py, intern!(py, "wake"))?;
            return Ok(());
        }
        let Some(event_loop) = event_loop else {
            return Ok(());
        };
        let event_loop = event_loop.bind(py);
        let mut woken = Vec::with_capacity(waiters.len());
        for waiter in &waiters {
            let mut state = waiter.borrow_mut(py);
            if state.state == WaiterState::Pending {
                state.state = WaiterState::Woken;
                woken.push((
                    waiter.bind(py).clone(),
                    std::mem::take(&mut state.callbacks),
                ));
            }
        }
        let mut calls = woken.iter().flat_map(|(waiter, callbacks)| {
            callbacks
                .iter()
                .map(move |(callback, context)| (waiter, callback, context.as_ref()))
        });
        while let Some((waiter, callback, context)) = calls.next() {
            let Some(context) = context.filter(|_| resume) else {
                call_soon(event_loop, callback, waiter.as_any(), context)?;
                continue;
            };
            let Err(err) = context.call_method1(py, intern!(py, "run"), (callback, waiter)) else {
                continue;
            };
            if err.is_instance_of::<PyRuntimeError>(py) {
                // The task could not be entered here (called inside a task, or in the task's
                // own context): the loop resumes it.
                call_soon(event_loop, callback, waiter.as_any(), Some(context))?;
                continue;
            }
            // `KeyboardInterrupt` or `SystemExit` out of the resumed task leaves through this
            // callback (`read` raises it again on the loop): the tasks after it are woken on
            // the loop's next turn.
            for (waiter, callback, context) in calls {
                call_soon(event_loop, callback, waiter.as_any(), context)?;
            }
            return Err(err);
        }
        Ok(())
    }

    /// The oldest item, if any, resuming reading once the inbox has drained to `resume_below`.
    fn take(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let mut inbox = slf.borrow_mut();
        let Some(item) = inbox.items.pop_front() else {
            return Ok(None);
        };
        if inbox.paused && inbox.items.len() <= inbox.resume_below {
            inbox.paused = false;
            let session = inbox.session(slf.py())?;
            drop(inbox);
            session.call_method0(intern!(slf.py(), "_update_reading"))?;
        }
        Ok(Some(item))
    }

    /// After items were queued: wake the waiting tasks, pause reading once the inbox is full
    /// (even when a resumed task raised: its error is returned after).
    fn queued(slf: &Bound<'_, Self>, now: bool) -> PyResult<()> {
        let woken = Self::wake_waiters(slf, now);
        let session = {
            let mut inbox = slf.borrow_mut();
            if inbox.paused || inbox.items.len() < inbox.capacity {
                return woken;
            }
            inbox.paused = true;
            inbox.session(slf.py())?
        };
        session.call_method0(intern!(slf.py(), "_update_reading"))?;
        woken
    }

    /// A `KeyboardInterrupt` or `SystemExit` out of a read (a handler's, or a resumed task's) is
    /// raised again from a callback of the loop's own, as out of a task's step: uvloop logs
    /// what a transport's callback raises, these two too, closes the connection and goes on.
    fn interrupt_on_loop(slf: &Bound<'_, Self>, err: PyErr) -> PyResult<()> {
        let py = slf.py();
        let interrupt =
            err.is_instance_of::<PyKeyboardInterrupt>(py) || err.is_instance_of::<PySystemExit>(py);
        let event_loop = slf.borrow().event_loop.as_ref().map(|l| l.clone_ref(py));
        let (true, Some(event_loop)) = (interrupt, event_loop) else {
            return Err(err);
        };
        let raise_again = wrap_pyfunction!(raise_again, py)?.into_any().unbind();
        call_soon(
            event_loop.bind(py),
            &raise_again,
            err.into_value(py).bind(py),
            None,
        )
    }

    /// The session's transport, for what `read_ready` hands back to it.
    fn transport<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        slf.borrow().session(py)?.getattr(intern!(py, "_transport"))
    }

    /// What `read` does with one read, a `KeyboardInterrupt` or `SystemExit` left to it.
    fn hand_on(slf: &Bound<'_, Self>, read: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let (decoder, handler) = {
            let inbox = slf.borrow();
            let Some(decoder) = &inbox.decoder else {
                return Ok(());
            };
            (
                decoder.bind(py).clone(),
                inbox.handler.as_ref().map(|h| h.bind(py).clone()),
            )
        };
        let Some((events, failed)) = decode_read(&decoder, read)? else {
            return Ok(());
        };
        let mut events = events.into_iter();
        let mut rest = None;
        let mut handler = handler;
        while let Some(current) = &handler {
            let Some(event) = events.next() else {
                break;
            };
            if event.is_instance_of::<PyFrame>() {
                rest = Some(event);
                break;
            }
            if let Err(err) = current.call1((event,)) {
                if !err.is_instance_of::<PyException>(py) {
                    return Err(err);
                }
                let session = slf.borrow().session(py)?;
                // `into_value` keeps the traceback on the exception (before Python 3.12 a
                // raised exception's traceback is held apart from it): it is logged.
                session.call_method1(intern!(py, "_handler_failed"), (err.into_value(py),))?;
                return Ok(());
            }
            // The handler may have set another, or none: the messages after its own are theirs.
            let inbox = slf.borrow();
            if inbox.handler.as_ref().map(Py::as_ptr) != Some(current.as_ptr()) {
                handler = inbox.handler.as_ref().map(|h| h.bind(py).clone());
            }
        }
        let mut queued = false;
        if handler.is_none() && rest.is_none() {
            let mut inbox = slf.borrow_mut();
            for event in events.by_ref() {
                if event.is_instance_of::<PyFrame>() {
                    rest = Some(event);
                    break;
                }
                inbox.items.push_back(event.unbind());
                queued = true;
            }
        }
        if rest.is_some() || failed {
            let rest: Vec<_> = rest.into_iter().chain(events).collect();
            let rest = PyList::new(py, rest)?;
            let session = slf.borrow().session(py)?;
            session.call_method1(intern!(py, "_deliver"), (rest,))?;
            return Ok(());
        }
        if queued {
            // The state is settled here: a receiver may run before this returns.
            return Self::queued(slf, true);
        }
        if handler.is_some() {
            let session = slf.borrow().session(py)?;
            if session
                .getattr(intern!(py, "_writing_paused"))?
                .is_truthy()?
            {
                session.call_method0(intern!(py, "_after_handler"))?;
            }
        }
        Ok(())
    }
}

#[pymethods]
impl PyInbox {
    /// `loop` is the asyncio loop the session runs in, or None on trio, where `parking` (the
    /// session's trio parking) is woken instead and the session's own coroutine waits.
    #[new]
    #[pyo3(signature = (session, decoder, *, capacity, resume_below, event_loop = None, parking = None, resume = false))]
    fn new(
        session: &Bound<'_, PyAny>,
        decoder: Py<PyFrameDecoder>,
        capacity: usize,
        resume_below: usize,
        event_loop: Option<Py<PyAny>>,
        parking: Option<Py<PyAny>>,
        resume: bool,
    ) -> PyResult<Self> {
        Ok(Self {
            session: Some(PyWeakrefReference::new(session)?.unbind()),
            decoder: Some(decoder),
            items: VecDeque::new(),
            handler: None,
            capacity,
            resume_below,
            paused: false,
            closed: false,
            event_loop,
            parking,
            resume,
            waiters: Vec::new(),
            socket_fd: None,
        })
    }

    /// The message handler (`set_message_handler`): messages go to it instead of the queue.
    #[getter]
    fn handler(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.handler.as_ref().map(|handler| handler.clone_ref(py))
    }

    #[setter]
    fn set_handler(&mut self, handler: Option<Py<PyAny>>) {
        self.handler = handler;
    }

    /// True while reading is paused because the inbox is full.
    #[getter]
    fn paused(&self) -> bool {
        self.paused
    }

    #[setter]
    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// True once no more items come.
    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    /// No more items come: waiting tasks are woken to end their wait once the inbox is empty.
    fn close(slf: &Bound<'_, Self>) -> PyResult<()> {
        slf.borrow_mut().closed = true;
        Self::wake_waiters(slf, false)
    }

    fn __len__(&self) -> usize {
        self.items.len()
    }

    fn append(&mut self, item: Py<PyAny>) {
        self.items.push_back(item);
    }

    /// The oldest item (`IndexError` when there is none); reading resumes once the inbox has
    /// drained to `resume_below` items.
    fn popleft(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        Self::take(slf)?
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("pop from an empty inbox"))
    }

    /// Wakes the waiting tasks on the loop's next turn and pauses reading once the inbox is
    /// full: what the session does after queuing items itself.
    #[pyo3(name = "queued")]
    fn py_queued(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::queued(slf, false)
    }

    /// Wakes the waiting tasks on the loop's next turn.
    fn wake(slf: &Bound<'_, Self>) -> PyResult<()> {
        Self::wake_waiters(slf, false)
    }

    /// Decodes one read (`nbytes` read into the decoder's `get_buffer` view, or bytes read by
    /// another transport) and hands its whole messages on: to the handler, or into the queue,
    /// waking the waiting tasks. A control frame and what follows it, or a violation, go to the
    /// session's `_deliver`. A handler that sets another, or none, hands the messages after its
    /// own on to that. A handler's exception goes to `_handler_failed`, and the rest of the read
    /// is dropped; the decoder's own errors propagate, and a `KeyboardInterrupt` or `SystemExit`
    /// (a handler's or a resumed task's) is raised again on the loop.
    fn read(slf: &Bound<'_, Self>, read: &Bound<'_, PyAny>) -> PyResult<()> {
        Self::hand_on(slf, read).or_else(|err| Self::interrupt_on_loop(slf, err))
    }

    /// The socket `read_ready` reads (asyncio's plain-socket transport's, on POSIX).
    #[getter]
    fn socket_fd(&self) -> Option<i32> {
        self.socket_fd
    }

    #[setter]
    fn set_socket_fd(&mut self, fd: Option<i32>) {
        self.socket_fd = fd;
    }

    /// The loop's reader callback for asyncio's plain-socket transport, in place of its own:
    /// one `recv(2)` straight into where the decoder wants the bytes, then what `read` does,
    /// with none of the Python the transport's callback runs (`get_buffer`, `recv_into`,
    /// `buffer_updated`). The end of the stream, a socket error, and an error out of the read
    /// go to the transport, as its own callback hands them on.
    #[cfg(unix)]
    fn read_ready(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let (fd, decoder) = {
            let inbox = slf.borrow();
            let (Some(fd), Some(decoder)) = (inbox.socket_fd, &inbox.decoder) else {
                return Ok(());
            };
            (fd, decoder.clone_ref(py))
        };
        let (buf, len) = decoder.borrow_mut(py).read_target(py);
        // SAFETY: the decoder's target is valid for `len` bytes until it decodes them, below,
        // before anything else runs (`reading`).
        let (err, what) = match unsafe { crate::py::socket::recv(fd, buf, len) } {
            Ok(0) => {
                return Self::transport(slf)?
                    .call_method0(intern!(py, "_read_ready__on_eof"))
                    .map(drop);
            }
            Ok(n) => match Self::read(slf, n.into_pyobject(py)?.as_any()) {
                Ok(()) => return Ok(()),
                Err(err) => (err, "Fatal error: protocol.buffer_updated() call failed."),
            },
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(());
            }
            Err(err) => (PyErr::from(err), "Fatal read error on socket transport"),
        };
        Self::transport(slf)?
            .call_method1(intern!(py, "_fatal_error"), (err.into_value(py), what))
            .map(drop)
    }

    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// `async for` over the inbox itself (asyncio): each step awaits the inbox.
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// One step of a wait: the next item (as `StopIteration`'s value), the session's end once
    /// the inbox is empty and closed, or a new waiter for the task to wait on.
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Py<PyInboxWaiter>> {
        let py = slf.py();
        if let Some(item) = Self::take(slf)? {
            return Err(PyStopIteration::new_err((item,)));
        }
        let mut inbox = slf.borrow_mut();
        if inbox.closed {
            let session = inbox.session(py)?;
            drop(inbox);
            let end = session.call_method0(intern!(py, "_inbox_end"))?;
            return Err(PyErr::from_value(end));
        }
        let Some(event_loop) = &inbox.event_loop else {
            return Err(PyRuntimeError::new_err(
                "an Inbox without an asyncio loop cannot be awaited",
            ));
        };
        let waiter = Py::new(py, PyInboxWaiter::new(event_loop.clone_ref(py)))?;
        if !inbox.waiters.is_empty() {
            inbox
                .waiters
                .retain(|waiter| waiter.borrow(py).state == WaiterState::Pending);
        }
        inbox.waiters.push(waiter.clone_ref(py));
        Ok(waiter)
    }

    #[allow(clippy::needless_pass_by_value)] // the signature pyo3 requires
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.session)?;
        visit.call(&self.decoder)?;
        for item in &self.items {
            visit.call(item)?;
        }
        visit.call(&self.handler)?;
        visit.call(&self.event_loop)?;
        visit.call(&self.parking)?;
        for waiter in &self.waiters {
            visit.call(waiter)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.session = None;
        self.decoder = None;
        self.items.clear();
        self.handler = None;
        self.event_loop = None;
        self.parking = None;
        self.waiters.clear();
    }
}
