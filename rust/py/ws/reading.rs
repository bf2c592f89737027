//! Socket reads into memory the decoder chooses, for sessions that are `asyncio.BufferedProtocol`s.
//!
//! `get_buffer` hands the transport one of two places to read into, and `buffer_updated` decodes
//! what arrived there:
//! - Between frames, a read buffer shared by every decoder of the thread. A read is decoded as soon
//!   as it lands and the decoder keeps what it needs of it (a partial header, a partial payload),
//!   so an idle session holds no read buffer at all, and no `bytes` is made per read.
//! - While a large Binary message arrives as one frame, the `bytes` that will hold it: the rest of
//!   its payload is read straight into that object and unmasked in place, so it reaches Python with
//!   no copy on our side. The object is allocated at its full length only once a quarter of it has
//!   arrived, which bounds what a peer can make us reserve to four times what it actually sent.
//!
//! The transports call `get_buffer`, read into the view once, then `buffer_updated` before anything
//! else runs on the thread (asyncio's selector loop and uvloop both do), so a view is never used
//! after the read it was made for; each thread has its own shared buffer, because a read releases
//! the GIL.

use std::cell::{Cell, OnceCell};
use std::ffi::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::py::errors::value_error;
use crate::ws::mask::{apply_mask, rotate_key, UninitWriter};
use crate::ws::{FrameDecoder, PendingBinary};

/// Size of the shared read buffer: what one read may bring, as asyncio's own `max_size`.
const READ_BUFFER_LEN: usize = 256 * 1024;

/// Binary messages at least this long are read straight into their `bytes` (smaller ones mostly
/// arrive whole in one read, and cost no copy beyond the one into their `bytes` anyway).
const DIRECT_MIN_LEN: usize = 64 * 1024;

thread_local! {
    /// This thread's shared read buffer, allocated on its first read and kept for the thread's
    /// life (views of it must never dangle).
    static READ_BUFFER: Cell<*mut u8> = const { Cell::new(std::ptr::null_mut()) };
    /// The one view of it handed to every read (no new `memoryview` per read).
    static READ_VIEW: OnceCell<Py<PyAny>> = const { OnceCell::new() };
}

/// The start of this thread's shared read buffer (`READ_BUFFER_LEN` bytes).
fn read_buffer() -> *mut u8 {
    READ_BUFFER.with(|cell| {
        if cell.get().is_null() {
            let buffer: &'static mut [u8] =
                Box::leak(vec![0u8; READ_BUFFER_LEN].into_boxed_slice());
            cell.set(buffer.as_mut_ptr());
        }
        cell.get()
    })
}

/// Whether a message of `len` bytes, `received` of them in, is worth its own `bytes` now.
const fn worth_it(len: usize, received: usize) -> bool {
    len >= DIRECT_MIN_LEN && received.saturating_mul(4) >= len
}

/// A writable `memoryview` of `len` bytes at `ptr`, which must stay valid while it is used.
fn writable_view(py: Python<'_>, ptr: *mut u8, len: usize) -> PyResult<Bound<'_, PyAny>> {
    // `len` measures memory that exists, so it is at most `isize::MAX`.
    #[allow(clippy::cast_possible_wrap)]
    let size = len as ffi::Py_ssize_t;
    // SAFETY: `ptr` is valid for `len` bytes of reads and writes (the callers' buffers, see the
    // module documentation for how long); the call returns a new reference or null with an
    // exception set, which `from_owned_ptr_or_err` turns into the error; the GIL is held.
    unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyMemoryView_FromMemory(ptr.cast::<c_char>(), size, ffi::PyBUF_WRITE),
        )
    }
}

/// The `bytes` of a Binary message being received straight into it.
pub(crate) struct DirectPayload {
    bytes: Py<PyBytes>,
    /// Bytes written so far (the rest is not initialised yet).
    filled: usize,
    /// The key for the byte at `filled`; None for unmasked frames.
    key: Option<[u8; 4]>,
}

impl DirectPayload {
    /// Takes the decoder's pending Binary message over once it is worth it (see the module
    /// documentation): a new `bytes` of its full length, holding the payload so far.
    pub(crate) fn take_over(py: Python<'_>, decoder: &mut FrameDecoder) -> PyResult<Option<Self>> {
        match decoder.pending_binary() {
            Some(pending) if worth_it(pending.len, pending.received) => {
                let mut direct = Self::new(py, pending)?;
                // SAFETY: the object is new and ours alone; its first `received` bytes are free.
                let start = unsafe { direct.rest(py) };
                let mut writer = UninitWriter::new(&mut start[..pending.received]);
                decoder.hand_over(&mut writer);
                assert!(
                    writer.finish().is_some(),
                    "take_over: payload so far not written"
                );
                direct.filled = pending.received;
                Ok(Some(direct))
            }
            _ => Ok(None),
        }
    }

    /// Takes over a message whose header starts `input`, when worth it, with the rest of `input`
    /// (all of it the message's) already in; None leaves `input` to the decoder.
    pub(crate) fn begin(
        py: Python<'_>,
        decoder: &mut FrameDecoder,
        input: &[u8],
    ) -> PyResult<Option<Self>> {
        if !worth_it(DIRECT_MIN_LEN, input.len()) {
            return Ok(None); // too little to be a quarter of any message taken over
        }
        let Some((pending, header_len)) = decoder
            .begin_binary(input)
            .filter(|(pending, header_len)| worth_it(pending.len, input.len() - header_len))
        else {
            return Ok(None);
        };
        let mut direct = Self::new(py, pending)?;
        let payload = &input[header_len..];
        direct.advance(py, payload.len(), Some(payload))?;
        Ok(Some(direct))
    }

    /// A new `bytes` for the message, its payload not written yet.
    fn new(py: Python<'_>, pending: PendingBinary) -> PyResult<Self> {
        #[allow(clippy::cast_possible_wrap)]
        let size = pending.len as ffi::Py_ssize_t;
        // SAFETY: with a null source, `PyBytes_FromStringAndSize` returns a new object with `size`
        // uninitialised bytes, or null with an exception set (turned into the error); GIL held.
        let bytes = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyBytes_FromStringAndSize(std::ptr::null(), size),
            )?
        }
        .cast_into::<PyBytes>()?;
        Ok(Self {
            bytes: bytes.unbind(),
            filled: 0,
            key: pending.key,
        })
    }

    /// Bytes received so far.
    pub(crate) const fn filled(&self) -> usize {
        self.filled
    }

    /// Bytes still to come.
    pub(crate) fn remaining(&self, py: Python<'_>) -> usize {
        self.bytes.bind(py).as_bytes().len() - self.filled
    }

    /// The unwritten rest of the payload.
    ///
    /// # Safety
    /// No other reference to the rest may be alive, and the `bytes` must not have been handed to
    /// anyone yet (it is not, before [`DirectPayload::advance`] returns it).
    unsafe fn rest(&mut self, py: Python<'_>) -> &mut [std::mem::MaybeUninit<u8>] {
        let bytes = self.bytes.bind(py);
        let len = bytes.as_bytes().len();
        // SAFETY: the object's buffer holds `len` bytes and lives as long as `self.bytes`; the
        // caller guarantees nobody else reads or writes it meanwhile.
        unsafe {
            let data = ffi::PyBytes_AsString(bytes.as_ptr()).cast::<std::mem::MaybeUninit<u8>>();
            std::slice::from_raw_parts_mut(data.add(self.filled), len - self.filled)
        }
    }

    /// Where the rest goes, for a read made here (`Inbox.read_ready`): its start and length.
    pub(crate) fn target(&mut self, py: Python<'_>) -> (*mut u8, usize) {
        // SAFETY: as for `view`: one read into it, before `advance`.
        let rest = unsafe { self.rest(py) };
        (rest.as_mut_ptr().cast::<u8>(), rest.len())
    }

    /// A view of the rest, for the transport to read into.
    pub(crate) fn view<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // SAFETY: the `bytes` is still private; the view is used for one read only, before
        // `advance` (module documentation), while `self` keeps the object alive.
        let rest = unsafe { self.rest(py) };
        writable_view(py, rest.as_mut_ptr().cast::<u8>(), rest.len())
    }

    /// Counts `n` more bytes in: read into the view (`copy_from` None) or copied from the front of
    /// `copy_from`. Unmasks them; returns the `bytes` once the payload is complete.
    pub(crate) fn advance(
        &mut self,
        py: Python<'_>,
        n: usize,
        copy_from: Option<&[u8]>,
    ) -> PyResult<Option<Py<PyBytes>>> {
        let key = self.key;
        // SAFETY: the `bytes` is still private and no view of it is in use any more.
        let rest = unsafe { self.rest(py) };
        if n > rest.len() {
            return Err(value_error(format!(
                "{n} bytes read into a view of {} bytes",
                rest.len()
            )));
        }
        let piece = &mut rest[..n];
        match copy_from {
            Some(src) => {
                let mut writer = UninitWriter::new(piece);
                match key {
                    Some(key) => writer.put_masked(&src[..n], key),
                    None => writer.put(&src[..n]),
                }
                assert!(writer.finish().is_some(), "advance: piece not written");
            }
            None => {
                if let Some(key) = key {
                    // SAFETY: the read into the view initialised these `n` bytes (the transport
                    // reports how many it wrote), and nothing else refers to them.
                    let piece = unsafe { &mut *(std::ptr::from_mut(piece) as *mut [u8]) };
                    apply_mask(piece, key);
                }
            }
        }
        self.key = key.map(|key| rotate_key(key, n));
        self.filled += n;
        Ok((self.filled == self.bytes.bind(py).as_bytes().len()).then(|| self.bytes.clone_ref(py)))
    }
}

/// A view of this thread's shared read buffer, for the transport to read into.
pub(crate) fn shared_view(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    READ_VIEW.with(|cell| {
        if let Some(view) = cell.get() {
            return Ok(view.bind(py).clone());
        }
        let view = writable_view(py, read_buffer(), READ_BUFFER_LEN)?;
        Ok(cell.get_or_init(|| view.unbind()).bind(py).clone())
    })
}

/// This thread's shared read buffer, for a read made here (`Inbox.read_ready`).
pub(crate) fn shared_target() -> (*mut u8, usize) {
    (read_buffer(), READ_BUFFER_LEN)
}

/// The first `n` bytes of this thread's shared read buffer, just read into its view.
///
/// # Safety
/// The slice must be dropped before the next read into the shared buffer (it is decoded at once).
pub(crate) unsafe fn shared_bytes(n: usize) -> PyResult<&'static [u8]> {
    if n > READ_BUFFER_LEN {
        return Err(value_error(format!(
            "{n} bytes read into a view of {READ_BUFFER_LEN} bytes"
        )));
    }
    // SAFETY: the buffer is `READ_BUFFER_LEN` initialised bytes that are never freed; only a read
    // into its view writes them, and the caller is done with the slice before the next read.
    Ok(unsafe { std::slice::from_raw_parts(read_buffer(), n) })
}
