//! `Alarm`: a Linux timer file descriptor, the deadline of a `Timers` on asyncio's selector loops.
//!
//! While asyncio's loop has any timer, every turn of it computes a `select` timeout in Python
//! (about 5k instructions on Python 3.11, however far off the deadline). The loop watches this
//! descriptor as a reader instead: it becomes readable at the deadline, and the loop keeps no
//! timer of ours.

use pyo3::prelude::*;

use crate::py::errors::value_error;

/// A `CLOCK_MONOTONIC` timerfd (the clock of asyncio's `loop.time()`), non-blocking.
#[pyclass(name = "Alarm", module = "wsrs._wsrs")]
pub(crate) struct PyAlarm {
    fd: i32,
}

/// `deadline` in seconds as a `timespec`, rounded up: the alarm never rings before it.
fn timespec(deadline: f64) -> libc::timespec {
    // The callers' deadlines are finite and positive, far below `i64::MAX` seconds.
    #[allow(clippy::cast_possible_truncation)]
    let mut seconds = deadline.floor() as i64;
    #[allow(clippy::cast_possible_truncation)]
    let mut nanos = ((deadline - deadline.floor()) * 1e9).ceil() as i64;
    if nanos >= 1_000_000_000 {
        seconds += 1;
        nanos -= 1_000_000_000;
    }
    if seconds == 0 && nanos == 0 {
        nanos = 1; // all zeros would disarm it
    }
    libc::timespec {
        tv_sec: seconds,
        tv_nsec: nanos,
    }
}

#[pymethods]
impl PyAlarm {
    #[new]
    fn new() -> PyResult<Self> {
        // SAFETY: plain system call with constant arguments.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(Self { fd })
    }

    /// The descriptor, for the loop to watch (-1 once closed).
    fn fileno(&self) -> i32 {
        self.fd
    }

    /// Ring at `deadline` (seconds on the monotonic clock; at once if it has passed), or never
    /// for an infinite one. Replaces the deadline set before.
    fn set(&self, deadline: f64) -> PyResult<()> {
        if deadline.is_nan() || deadline < 0.0 {
            return Err(value_error(format!("bad alarm deadline {deadline}")));
        }
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let value = libc::itimerspec {
            it_interval: zero,
            it_value: if deadline.is_infinite() {
                zero
            } else {
                timespec(deadline)
            },
        };
        // SAFETY: `value` is a valid `itimerspec` for the call; the old value is not asked for.
        let set = unsafe {
            libc::timerfd_settime(
                self.fd,
                libc::TFD_TIMER_ABSTIME,
                &raw const value,
                std::ptr::null_mut(),
            )
        };
        if set < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        Ok(())
    }

    /// Take the ring off the descriptor (it stays readable until then).
    fn clear(&self) {
        let mut expirations = [0u8; 8];
        // SAFETY: reads at most 8 bytes into the local array; an empty, non-blocking timerfd
        // fails with EAGAIN, which is what "nothing to clear" is.
        let _ = unsafe { libc::read(self.fd, expirations.as_mut_ptr().cast(), expirations.len()) };
    }

    /// Close the descriptor (the loop must have stopped watching it).
    fn close(&mut self) {
        if self.fd >= 0 {
            // SAFETY: the descriptor is ours and closed once.
            unsafe { libc::close(self.fd) };
            self.fd = -1;
        }
    }
}

impl Drop for PyAlarm {
    fn drop(&mut self) {
        self.close();
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAlarm>()
}
