//! Bindings for the WebSocket codec: `FrameType`, `CloseCode`, `CloseReason` and `apply_mask`
//! here, `Frame` in `frame`, `FrameDecoder` and `FrameEncoder` in `codec`, a session's incoming
//! side in `inbox` (its waiters in `waiter`), the decoder's read buffers in `reading`,
//! `PerMessageDeflate` in `deflate`.
//!
//! Bytes-like arguments: a `bytes` is read in place; any other buffer (bytearray, memoryview) is
//! copied first, because Python code run by an allocation (a finalizer) could change it while
//! Rust reads it. Output `bytes` are written once, by [`new_bytes`], never zeroed first.

use std::hash::{Hash, Hasher};
use std::mem::MaybeUninit;

use pyo3::buffer::PyBuffer;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

mod codec;
mod deflate;
mod frame;
mod inbox;
mod reading;
mod waiter;

use crate::py::errors::usage_error_to_py;
use crate::ws::mask::UninitWriter;
use crate::ws::utf8::{code_point_layout, decode_code_points};
use crate::ws::{CloseCode, CloseReason, FrameType, UsageError, DEFAULT_MAX_FRAME_SIZE};
use codec::{PyFrameDecoder, PyFrameEncoder};
use deflate::PyPerMessageDeflate;
use frame::PyFrame;
use inbox::PyInbox;
use waiter::PyInboxWaiter;

/// The bytes of a bytes-like argument.
pub(crate) enum BytesArg<'py> {
    /// A `bytes`, read in place.
    Bytes(Bound<'py, PyBytes>),
    /// A copy of any other buffer.
    Copied(Vec<u8>),
}

impl<'py> BytesArg<'py> {
    /// Reads `obj` through the buffer protocol (a `TypeError` for anything else).
    pub(crate) fn extract(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = obj.cast::<PyBytes>() {
            return Ok(Self::Bytes(bytes.clone()));
        }
        Ok(Self::Copied(PyBuffer::<u8>::get(obj)?.to_vec(obj.py())?))
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Self::Bytes(bytes) => bytes.as_bytes(),
            Self::Copied(data) => data,
        }
    }

    /// The bytes as a Python `bytes` (the same object when it already was one).
    pub(crate) fn into_bytes(self, py: Python<'py>) -> Bound<'py, PyBytes> {
        match self {
            Self::Bytes(bytes) => bytes,
            Self::Copied(data) => PyBytes::new(py, &data),
        }
    }
}

/// A new `bytes` of `len` bytes written by `fill`. Unlike `PyBytes::new_with`, the memory is
/// not zeroed first: that would be a second pass over every payload.
///
/// # Panics
/// If `fill` leaves some bytes unwritten (a caller bug); the object is freed unseen.
pub(crate) fn new_bytes(
    py: Python<'_>,
    len: usize,
    fill: impl FnOnce(&mut UninitWriter<'_>),
) -> PyResult<Bound<'_, PyBytes>> {
    // `len` measures data that exists in memory, so it is at most `isize::MAX`.
    #[allow(clippy::cast_possible_wrap)]
    let size = len as ffi::Py_ssize_t;
    // SAFETY: with a null source, `PyBytes_FromStringAndSize` returns a new object with `size`
    // uninitialised bytes (it writes the trailing NUL itself), or null with an exception set,
    // which `from_owned_ptr_or_err` turns into the error; the GIL is held (`py`).
    let object = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PyBytes_FromStringAndSize(std::ptr::null(), size))?
    };
    let bytes = object.cast_into::<PyBytes>()?;
    // SAFETY: the object is new and not shared with anyone yet, so its `len`-byte buffer is ours
    // alone while we fill it, and `bytes` keeps it alive for the whole borrow. (For `len == 0`
    // CPython may hand back its shared empty `bytes`, but then nothing is written.)
    let buf = unsafe {
        let data = ffi::PyBytes_AsString(bytes.as_ptr()).cast::<MaybeUninit<u8>>();
        std::slice::from_raw_parts_mut(data, len)
    };
    let mut writer = UninitWriter::new(buf);
    fill(&mut writer);
    assert!(
        writer.finish().is_some(),
        "new_bytes: {len} bytes announced, fewer written"
    );
    Ok(bytes)
}

/// A `str` from text already validated as UTF-8, built in its final form (ASCII, Latin-1, UCS-2
/// or UCS-4, the kind the interpreter's own decoder would pick) instead of by that decoder, which
/// would scan and validate the bytes again and is the slowest step of a non-ASCII text message.
pub(crate) fn new_str<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    let (count, widest) = code_point_layout(text);
    // `count` counts bytes of an existing string, so it is at most `isize::MAX`.
    #[allow(clippy::cast_possible_wrap)]
    let size = count as ffi::Py_ssize_t;
    // SAFETY: `PyUnicode_New` returns a new string of `size` code points of the kind `widest`
    // asks for, or null with an exception set (turned into the error); the GIL is held.
    let object = unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyUnicode_New(size, widest))? };
    let string = object.cast_into::<PyString>()?;
    // SAFETY: the string is new and not shared yet (or, for `count == 0`, the shared empty string,
    // to which nothing is written), so the `count` code points at `PyUnicode_DATA` (1 byte each
    // up to 0xFF, 2 up to 0xFFFF, else 4) are ours to write while `string` keeps them alive. The
    // casts cannot truncate: no code point is wider than `widest`, and some code point needs
    // that kind, as CPython requires of a string's kind.
    let written = unsafe {
        let data = ffi::PyUnicode_DATA(string.as_ptr());
        match widest {
            0x7F => {
                // ASCII: the code points are the bytes.
                std::ptr::copy_nonoverlapping(text.as_ptr(), data.cast::<u8>(), count);
                count
            }
            0xFF => fill_code_points(text, data.cast::<u8>(), count, |c| c as u8),
            0xFFFF => fill_code_points(text, data.cast::<u16>(), count, |c| c as u16),
            _ => fill_code_points(text, data.cast::<u32>(), count, |c| c),
        }
    };
    assert_eq!(written, count, "new_str: fewer code points than counted");
    Ok(string)
}

/// Writes the code points of `text`, narrowed, at `data`; returns how many it wrote.
///
/// # Safety
/// `data` must be valid for `count` writes of `T`, with no other access meanwhile, and `count`
/// must be at least the number of code points of `text`.
unsafe fn fill_code_points<T>(
    text: &str,
    data: *mut T,
    count: usize,
    narrow: impl Fn(u32) -> T,
) -> usize {
    // SAFETY: the caller guarantees `count` writable slots, possibly uninitialised.
    let slots = unsafe { std::slice::from_raw_parts_mut(data.cast::<MaybeUninit<T>>(), count) };
    decode_code_points(text, |at, code_point| {
        slots[at].write(narrow(code_point));
    })
}

/// The WebSocket frame types a session sees; continuation frames take their message's type.
#[pyclass(
    name = "FrameType",
    module = "wsrs._wsrs",
    eq,
    eq_int,
    frozen,
    from_py_object
)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PyFrameType {
    #[pyo3(name = "TEXT")]
    Text = 1,
    #[pyo3(name = "BINARY")]
    Binary = 2,
    #[pyo3(name = "CLOSE")]
    Close = 8,
    #[pyo3(name = "PING")]
    Ping = 9,
    #[pyo3(name = "PONG")]
    Pong = 10,
}

impl From<FrameType> for PyFrameType {
    fn from(frame_type: FrameType) -> Self {
        match frame_type {
            FrameType::Text => Self::Text,
            FrameType::Binary => Self::Binary,
            FrameType::Close => Self::Close,
            FrameType::Ping => Self::Ping,
            FrameType::Pong => Self::Pong,
        }
    }
}

impl From<PyFrameType> for FrameType {
    fn from(frame_type: PyFrameType) -> Self {
        match frame_type {
            PyFrameType::Text => Self::Text,
            PyFrameType::Binary => Self::Binary,
            PyFrameType::Close => Self::Close,
            PyFrameType::Ping => Self::Ping,
            PyFrameType::Pong => Self::Pong,
        }
    }
}

// pyo3 methods take `&self`, even on a 1-byte enum.
#[allow(clippy::trivially_copy_pass_by_ref)]
#[pymethods]
impl PyFrameType {
    /// The opcode on the wire.
    #[getter]
    fn opcode(&self) -> u8 {
        FrameType::from(*self).opcode()
    }

    /// True for Close, Ping and Pong.
    #[getter]
    fn is_control(&self) -> bool {
        FrameType::from(*self).is_control()
    }

    /// The opcode's hash: members equal their opcode, so they must hash like it.
    fn __hash__(&self) -> u64 {
        u64::from(FrameType::from(*self).opcode())
    }

    /// The member's name, such as "TEXT".
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Binary => "BINARY",
            Self::Close => "CLOSE",
            Self::Ping => "PING",
            Self::Pong => "PONG",
        }
    }
}

/// The close codes Ktor knows (plus 1005, reported when the peer's Close had no code).
#[pyclass(
    name = "CloseCode",
    module = "wsrs._wsrs",
    eq,
    eq_int,
    frozen,
    from_py_object
)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PyCloseCode {
    #[pyo3(name = "NORMAL")]
    Normal = 1000,
    #[pyo3(name = "GOING_AWAY")]
    GoingAway = 1001,
    #[pyo3(name = "PROTOCOL_ERROR")]
    ProtocolError = 1002,
    #[pyo3(name = "CANNOT_ACCEPT")]
    CannotAccept = 1003,
    #[pyo3(name = "NO_STATUS")]
    NoStatus = 1005,
    #[pyo3(name = "CLOSED_ABNORMALLY")]
    ClosedAbnormally = 1006,
    #[pyo3(name = "NOT_CONSISTENT")]
    NotConsistent = 1007,
    #[pyo3(name = "VIOLATED_POLICY")]
    ViolatedPolicy = 1008,
    #[pyo3(name = "TOO_BIG")]
    TooBig = 1009,
    #[pyo3(name = "NO_EXTENSION")]
    NoExtension = 1010,
    #[pyo3(name = "INTERNAL_ERROR")]
    InternalError = 1011,
    #[pyo3(name = "SERVICE_RESTART")]
    ServiceRestart = 1012,
    #[pyo3(name = "TRY_AGAIN_LATER")]
    TryAgainLater = 1013,
}

impl From<CloseCode> for PyCloseCode {
    fn from(code: CloseCode) -> Self {
        match code {
            CloseCode::Normal => Self::Normal,
            CloseCode::GoingAway => Self::GoingAway,
            CloseCode::ProtocolError => Self::ProtocolError,
            CloseCode::CannotAccept => Self::CannotAccept,
            CloseCode::NoStatus => Self::NoStatus,
            CloseCode::ClosedAbnormally => Self::ClosedAbnormally,
            CloseCode::NotConsistent => Self::NotConsistent,
            CloseCode::ViolatedPolicy => Self::ViolatedPolicy,
            CloseCode::TooBig => Self::TooBig,
            CloseCode::NoExtension => Self::NoExtension,
            CloseCode::InternalError => Self::InternalError,
            CloseCode::ServiceRestart => Self::ServiceRestart,
            CloseCode::TryAgainLater => Self::TryAgainLater,
        }
    }
}

// pyo3 methods take `&self`, even on a 2-byte enum.
#[allow(clippy::trivially_copy_pass_by_ref)]
#[pymethods]
impl PyCloseCode {
    /// The numeric close code.
    #[getter]
    fn code(&self) -> u16 {
        *self as u16
    }

    /// The code's hash: members equal their code, so they must hash like it.
    fn __hash__(&self) -> u64 {
        u64::from(*self as u16)
    }

    /// The member's name, such as "NORMAL".
    #[getter]
    fn name(&self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::GoingAway => "GOING_AWAY",
            Self::ProtocolError => "PROTOCOL_ERROR",
            Self::CannotAccept => "CANNOT_ACCEPT",
            Self::NoStatus => "NO_STATUS",
            Self::ClosedAbnormally => "CLOSED_ABNORMALLY",
            Self::NotConsistent => "NOT_CONSISTENT",
            Self::ViolatedPolicy => "VIOLATED_POLICY",
            Self::TooBig => "TOO_BIG",
            Self::NoExtension => "NO_EXTENSION",
            Self::InternalError => "INTERNAL_ERROR",
            Self::ServiceRestart => "SERVICE_RESTART",
            Self::TryAgainLater => "TRY_AGAIN_LATER",
        }
    }

    /// The member for `code`, or None when the code is not a known one.
    #[staticmethod]
    fn from_code(code: i64) -> Option<Self> {
        u16::try_from(code)
            .ok()
            .and_then(CloseCode::from_code)
            .map(Self::from)
    }
}

/// A close code: an `int` in 0..=65535 or a `CloseCode`.
fn close_code_arg(code: &Bound<'_, PyAny>) -> PyResult<u16> {
    if let Ok(member) = code.cast::<PyCloseCode>() {
        return Ok(*member.get() as u16);
    }
    let code: i64 = code.extract()?;
    u16::try_from(code).map_err(|_| usage_error_to_py(UsageError::CloseCodeOutOfRange))
}

/// A close code and message, as carried by a Close frame; compares by value.
#[pyclass(name = "CloseReason", module = "wsrs._wsrs", frozen)]
pub(crate) struct PyCloseReason {
    pub(crate) inner: CloseReason,
}

#[pymethods]
impl PyCloseReason {
    #[new]
    #[pyo3(signature = (code, message = String::new()), text_signature = "(code, message='')")]
    fn new(code: &Bound<'_, PyAny>, message: String) -> PyResult<Self> {
        let inner = CloseReason::new(close_code_arg(code)?, message).map_err(usage_error_to_py)?;
        Ok(Self { inner })
    }

    /// A reason whose message is cut to 123 UTF-8 bytes at a character boundary, for closes
    /// whose message comes from an error.
    #[staticmethod]
    fn truncated(code: &Bound<'_, PyAny>, message: &str) -> PyResult<Self> {
        Ok(Self {
            inner: CloseReason::truncated(close_code_arg(code)?, message),
        })
    }

    #[getter]
    fn code(&self) -> u16 {
        self.inner.code()
    }

    #[getter]
    fn message(&self) -> &str {
        self.inner.message()
    }

    /// The `CloseCode` member for `code`, if it is a known one.
    #[getter]
    fn known_reason(&self) -> Option<PyCloseCode> {
        self.inner.known_reason().map(PyCloseCode::from)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Self>()
            .is_ok_and(|other| other.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let message = PyString::new(py, self.inner.message()).repr()?;
        Ok(match self.inner.known_reason() {
            Some(known) => {
                format!(
                    "CloseReason(CloseCode.{}, {message})",
                    PyCloseCode::from(known).name()
                )
            }
            None => format!("CloseReason({}, {message})", self.inner.code()),
        })
    }
}

/// `data` XOR-ed with the 4-byte `key`, repeated.
#[pyfunction]
fn apply_mask<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    key: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let key = BytesArg::extract(key)?;
    let key: [u8; 4] = key.as_slice().try_into().map_err(|_| {
        usage_error_to_py(UsageError::InvalidMaskKey {
            size: key.as_slice().len(),
        })
    })?;
    let data = BytesArg::extract(data)?;
    let data = data.as_slice();
    new_bytes(py, data.len(), |out| out.put_masked(data, key))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DEFAULT_MAX_FRAME_SIZE", DEFAULT_MAX_FRAME_SIZE)?;
    m.add_class::<PyFrameType>()?;
    m.add_class::<PyCloseCode>()?;
    m.add_class::<PyCloseReason>()?;
    m.add_class::<PyFrame>()?;
    m.add_class::<PyFrameDecoder>()?;
    m.add_class::<PyFrameEncoder>()?;
    m.add_class::<PyInbox>()?;
    m.add_class::<PyInboxWaiter>()?;
    m.add_class::<PyPerMessageDeflate>()?;
    m.add_function(wrap_pyfunction!(apply_mask, m)?)
}
