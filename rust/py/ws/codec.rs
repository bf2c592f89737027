//! `FrameDecoder` and `FrameEncoder`: one Rust call per socket read, one per outgoing batch.
//!
//! The decoder builds each Python object straight from the bytes it has: a `bytes` is unmasked
//! while it is copied out of the input (`PyBytes::new_with`), a `str` is made from text already
//! checked, and the events of one read come back as one list. The encoder writes each frame's
//! header and (masked) payload into a single `bytes`, one allocation per call.
//!
//! With permessage-deflate the decoder inflates compressed messages as they arrive and the
//! encoder compresses by its policy (see `deflate`); large payloads are inflated and compressed
//! with the GIL released.
//!
//! `get_buffer` and `buffer_updated` make the decoder an `asyncio.BufferedProtocol`'s engine: the
//! transport reads into memory the decoder chooses (see `reading`), and no `bytes` is made per read.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString};

use super::deflate::{compress_part, Outbound, PyPerMessageDeflate, UNBLOCK_COMPRESS_MIN};
use super::frame::PyFrame;
use super::reading::{self, DirectPayload};
use super::{new_bytes, new_str, BytesArg, PyCloseReason, PyFrameType};
use crate::py::errors::{usage_error_to_py, value_error, ws_error_to_py};
use crate::ws::deflate::MessageInflater;
use crate::ws::encoder::{close_payload, encoded_len, random_mask_key, write_frame};
use crate::ws::header::{encode_header, FrameHeader, RSV1};
use crate::ws::{
    Event, EventSink, FrameDecoder, FrameEncoder, FrameType, OutFrame, Payload, UsageError,
    DEFAULT_MAX_FRAME_SIZE,
};

/// Turns events into Python objects, in order.
struct PySink<'py> {
    py: Python<'py>,
    events: Vec<Bound<'py, PyAny>>,
}

/// A `bytes` holding the unmasked payload, copied once.
fn payload_bytes<'py>(py: Python<'py>, payload: Payload<'_>) -> PyResult<Bound<'py, PyBytes>> {
    match payload {
        Payload::Plain(data) => Ok(PyBytes::new(py, data)),
        Payload::Masked { .. } => new_bytes(py, payload.len(), |out| payload.write_to(out)),
    }
}

impl EventSink for PySink<'_> {
    type Error = PyErr;

    fn event(&mut self, event: Event<'_>) -> PyResult<()> {
        let py = self.py;
        let object = match event {
            Event::Text(text) => new_str(py, text)?.into_any(),
            Event::Binary(payload) => payload_bytes(py, payload)?.into_any(),
            Event::Frame {
                frame_type,
                fin,
                rsv,
                payload,
            } => {
                let data = payload_bytes(py, payload)?.unbind();
                Bound::new(
                    py,
                    PyFrame {
                        frame_type,
                        fin,
                        rsv,
                        data,
                    },
                )?
                .into_any()
            }
        };
        self.events.push(object);
        Ok(())
    }

    fn unblocked<R: Send>(&mut self, work: impl FnOnce() -> R + Send) -> R {
        self.py.detach(work)
    }
}

/// Turns received bytes into frames or whole messages, enforcing RFC 6455 as it goes.
#[pyclass(name = "FrameDecoder", module = "wsrs._wsrs")]
pub(crate) struct PyFrameDecoder {
    inner: FrameDecoder,
    /// The violation, as the exception `feed` raises from then on.
    error: Option<PyErr>,
    /// A large Binary message being read straight into its `bytes` (`reading`).
    direct: Option<Box<DirectPayload>>,
}

impl PyFrameDecoder {
    /// Decodes `input` (or, with `input` None, `n` bytes read into the last `get_buffer` view).
    fn decode<'py>(
        &mut self,
        py: Python<'py>,
        input: Option<&[u8]>,
        n: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        if let Some(err) = &self.error {
            return Err(err.clone_ref(py));
        }
        PyList::new(py, self.decode_events(py, input, n)?)
    }

    /// Where the next socket read should go, as `get_buffer`'s view would say: its start and
    /// length. Valid for one read, decoded before anything else runs (`reading`).
    pub(crate) fn read_target(&mut self, py: Python<'_>) -> (*mut u8, usize) {
        match &mut self.direct {
            Some(direct) => direct.target(py),
            None => reading::shared_target(),
        }
    }

    /// The events `decode` makes, as they come (the decoder has no violation yet).
    fn decode_events<'py>(
        &mut self,
        py: Python<'py>,
        input: Option<&[u8]>,
        n: usize,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut sink = PySink {
            py,
            events: Vec::new(),
        };
        let mut rest = input;
        if let Some(direct) = &mut self.direct {
            let taken = rest.map_or(n, |input| input.len().min(direct.remaining(py)));
            if let Some(bytes) = direct.advance(py, taken, rest)? {
                sink.events.push(bytes.into_bound(py).into_any());
                self.direct = None;
            }
            rest = rest.map(|input| &input[taken..]);
        } else if rest.is_none() {
            // SAFETY: the slice is decoded here and dropped before the next read.
            rest = Some(unsafe { reading::shared_bytes(n)? });
        }
        if let Some(input) = rest.filter(|input| !input.is_empty()) {
            if self.direct.is_none() {
                self.direct = DirectPayload::begin(py, &mut self.inner, input)?.map(Box::new);
            }
            if self.direct.is_none() {
                self.inner.feed(input, &mut sink)?;
                if let Some(err) = self.inner.error() {
                    self.error = Some(ws_error_to_py(err));
                }
            }
        }
        if self.direct.is_none() {
            self.direct = DirectPayload::take_over(py, &mut self.inner)?.map(Box::new);
        }
        Ok(sink.events)
    }
}

#[pymethods]
impl PyFrameDecoder {
    #[new]
    #[pyo3(signature = (*, client = false, max_frame_size = DEFAULT_MAX_FRAME_SIZE, reassemble = true, allowed_rsv = 0, deflate = None))]
    fn new(
        client: bool,
        max_frame_size: usize,
        reassemble: bool,
        allowed_rsv: i64,
        deflate: Option<PyRef<'_, PyPerMessageDeflate>>,
    ) -> PyResult<Self> {
        let allowed_rsv = u8::try_from(allowed_rsv)
            .ok()
            .filter(|bits| *bits <= 0x7)
            .ok_or_else(|| usage_error_to_py(UsageError::RsvBitsOutOfRange))?;
        let mut inner = FrameDecoder::new(client, max_frame_size, reassemble, allowed_rsv);
        if let Some(deflate) = deflate {
            // The peer's direction: the server's messages at a client, the client's at a server.
            let (window_bits, no_context_takeover) = deflate.inner.sender(!client);
            inner
                .enable_deflate(MessageInflater::new(window_bits, no_context_takeover))
                .map_err(usage_error_to_py)?;
        }
        Ok(Self {
            inner,
            error: None,
            direct: None,
        })
    }

    /// Cap on one frame and on one reassembled message, checked on each header (1009).
    #[getter]
    fn max_frame_size(&self) -> usize {
        self.inner.max_frame_size()
    }

    #[setter]
    fn set_max_frame_size(&mut self, max_frame_size: usize) {
        self.inner.set_max_frame_size(max_frame_size);
    }

    #[getter]
    fn error<'py>(&self, py: Python<'py>) -> Option<Bound<'py, pyo3::exceptions::PyBaseException>> {
        self.error.as_ref().map(|err| err.value(py).clone())
    }

    /// True once a Close frame has been decoded.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Bytes held for an unfinished frame or message.
    #[getter]
    fn buffered(&self) -> usize {
        self.inner.buffered() + self.direct.as_ref().map_or(0, |direct| direct.filled())
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let data = BytesArg::extract(data)?;
        self.decode(py, Some(data.as_slice()), 0)
    }

    /// Where the next socket read should go (`asyncio.BufferedProtocol.get_buffer`).
    #[pyo3(signature = (sizehint = -1), text_signature = "($self, sizehint=-1)")]
    fn get_buffer<'py>(&mut self, py: Python<'py>, sizehint: isize) -> PyResult<Bound<'py, PyAny>> {
        let _ = sizehint; // the size is the decoder's to choose
        match &mut self.direct {
            Some(direct) => direct.view(py),
            None => reading::shared_view(py),
        }
    }

    /// Decodes the `nbytes` just read into the last `get_buffer` view, as `feed` decodes bytes.
    fn buffer_updated<'py>(
        &mut self,
        py: Python<'py>,
        nbytes: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        self.decode(py, None, nbytes)
    }
}

/// Decodes one read for an `Inbox`: `read` is the `nbytes` read into the decoder's last
/// `get_buffer` view, or bytes read by someone else. Returns the events and whether the read
/// ended in a violation, or None when an earlier violation stopped the decoder. Decoded under
/// the decoder's borrow, handed on after it: what the events go to may use the decoder.
pub(crate) fn decode_read<'py>(
    decoder: &Bound<'py, PyFrameDecoder>,
    read: &Bound<'py, PyAny>,
) -> PyResult<Option<(Vec<Bound<'py, PyAny>>, bool)>> {
    let py = decoder.py();
    let (input, nbytes) = match read.cast::<PyInt>() {
        Ok(nbytes) => (None, nbytes.extract::<usize>()?),
        Err(_) => (Some(BytesArg::extract(read)?), 0),
    };
    let mut decoder = decoder.borrow_mut();
    if decoder.error.is_some() {
        return Ok(None);
    }
    let events = decoder.decode_events(py, input.as_ref().map(BytesArg::as_slice), nbytes)?;
    Ok(Some((events, decoder.error.is_some())))
}

/// A payload for the encoder: borrowed from its Python object, or copied from a mutable buffer.
enum Part<'a> {
    Borrowed(&'a [u8]),
    Copied(Vec<u8>),
}

impl Part<'_> {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Borrowed(data) => data,
            Self::Copied(data) => data,
        }
    }
}

/// What one item of `encode_batch` stands for: `str` is Text, `Frame` itself, bytes-like Binary.
fn batch_item<'a>(item: &'a Bound<'_, PyAny>) -> PyResult<(FrameType, bool, u8, Part<'a>)> {
    if let Ok(text) = item.cast::<PyString>() {
        return Ok((
            FrameType::Text,
            true,
            0,
            Part::Borrowed(text.to_str()?.as_bytes()),
        ));
    }
    if let Ok(bytes) = item.cast::<PyBytes>() {
        return Ok((FrameType::Binary, true, 0, Part::Borrowed(bytes.as_bytes())));
    }
    if let Ok(frame) = item.cast::<PyFrame>() {
        let frame = frame.get();
        let data = frame.data.bind(item.py()).as_bytes();
        return Ok((frame.frame_type, frame.fin, frame.rsv, Part::Borrowed(data)));
    }
    let data = PyBuffer::<u8>::get(item)?.to_vec(item.py())?;
    Ok((FrameType::Binary, true, 0, Part::Copied(data)))
}

/// Binary messages from this size on go out as header and payload, not joined (`write_message`).
const VECTORED_MIN: usize = 16 * 1024;

/// Turns frames into bytes for the wire, masking while copying when `masking` is on, and
/// compressing by permessage-deflate's policy when it was negotiated.
#[pyclass(name = "FrameEncoder", module = "wsrs._wsrs")]
pub(crate) struct PyFrameEncoder {
    inner: FrameEncoder,
    /// Mask every frame with a fresh random key (the client side must).
    #[pyo3(get, set)]
    masking: bool,
    /// Whole messages shorter than this go uncompressed unless a send asks otherwise.
    #[pyo3(get, set)]
    min_size: usize,
    deflate: Option<Outbound>,
}

impl PyFrameEncoder {
    /// The header for `frame` with a fresh key when masking; the state moves on in `state` only.
    fn plan(&self, state: &mut FrameEncoder, frame: &OutFrame<'_>) -> PyResult<FrameHeader> {
        let mut header = state.plan(frame).map_err(usage_error_to_py)?;
        header.mask = self.masking.then(random_mask_key);
        Ok(header)
    }

    /// `frame`'s payload compressed, with the RSV bits to add, when it goes out compressed;
    /// `starts` is true when it begins a message.
    fn deflated(
        &mut self,
        py: Python<'_>,
        frame: &OutFrame<'_>,
        starts: bool,
        compress: Option<bool>,
    ) -> PyResult<Option<(Vec<u8>, u8)>> {
        let min_size = self.min_size;
        match &mut self.deflate {
            Some(deflate) if deflate.wants(frame, starts, compress, min_size) => {
                // Asked for, or every message wanted compressed: compressed even if it grows.
                let force = compress == Some(true) || min_size == 0;
                deflate.compress(py, frame, starts, force)
            }
            _ => Ok(None),
        }
    }

    fn encode_one<'py>(
        &mut self,
        py: Python<'py>,
        frame: &OutFrame<'_>,
        compress: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut state = self.inner;
        let starts = state.open_message().is_none();
        let mut header = self.plan(&mut state, frame)?;
        let deflated = self.deflated(py, frame, starts, compress)?;
        let payload = match &deflated {
            Some((payload, rsv)) => {
                header.rsv |= rsv;
                header.payload_len = payload.len() as u64;
                payload.as_slice()
            }
            None => frame.payload,
        };
        let len = encoded_len(payload.len(), header.mask.is_some());
        let out = new_bytes(py, len, |out| write_frame(out, &header, payload))?;
        self.inner = state;
        Ok(out)
    }

    fn encode_data<'py>(
        &mut self,
        data: &Bound<'py, PyAny>,
        frame_type: FrameType,
        fin: bool,
        compress: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = BytesArg::extract(data)?;
        let frame = OutFrame {
            frame_type,
            fin,
            rsv: 0,
            payload: payload.as_slice(),
        };
        self.encode_one(data.py(), &frame, compress)
    }

    fn encode_control<'py>(
        &mut self,
        py: Python<'py>,
        frame_type: FrameType,
        data: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        match data {
            Some(data) => self.encode_data(data, frame_type, true, None),
            None => self.encode_one(
                py,
                &OutFrame {
                    frame_type,
                    fin: true,
                    rsv: 0,
                    payload: b"",
                },
                None,
            ),
        }
    }
}

#[pymethods]
impl PyFrameEncoder {
    #[new]
    #[pyo3(signature = (*, masking = false, deflate = None, client = None, level = 6, mem_level = 8, min_size = 0))]
    fn new(
        masking: bool,
        deflate: Option<PyRef<'_, PyPerMessageDeflate>>,
        client: Option<bool>,
        level: i64,
        mem_level: i64,
        min_size: usize,
    ) -> PyResult<Self> {
        let client = client.unwrap_or(masking);
        let deflate = match deflate {
            Some(agreement) => Outbound::new(agreement.inner, client, level, mem_level)?,
            None => None,
        };
        Ok(Self {
            inner: FrameEncoder::new(),
            masking,
            min_size,
            deflate,
        })
    }

    /// True when messages may go out compressed (permessage-deflate agreed with a window of 9
    /// or more for this side).
    #[getter]
    fn compression(&self) -> bool {
        self.deflate.is_some()
    }

    /// The type of the fragmented message being sent, if one is open (a whole message cannot
    /// go out until it ends).
    #[getter]
    fn open_message(&self) -> Option<PyFrameType> {
        self.inner.open_message().map(PyFrameType::from)
    }

    #[pyo3(signature = (text, fin = true, compress = None))]
    fn encode_text<'py>(
        &mut self,
        text: &Bound<'py, PyString>,
        fin: bool,
        compress: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = text.to_str()?.as_bytes();
        let frame = OutFrame {
            frame_type: FrameType::Text,
            fin,
            rsv: 0,
            payload,
        };
        self.encode_one(text.py(), &frame, compress)
    }

    #[pyo3(signature = (data, fin = true, compress = None))]
    fn encode_binary<'py>(
        &mut self,
        data: &Bound<'py, PyAny>,
        fin: bool,
        compress: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.encode_data(data, FrameType::Binary, fin, compress)
    }

    /// Writes a `str` as one Text frame or a `bytes` as one Binary frame with `write`, in one
    /// call, and returns True; anything else is left to the caller (False). A Binary message
    /// of `VECTORED_MIN` bytes or more goes to `write_parts` as its header and its own payload
    /// (no copy of it) when that is given: the caller gives it only when the payload goes out
    /// as it is (not masked, not compressed).
    fn write_message(
        slf: &Bound<'_, Self>,
        message: &Bound<'_, PyAny>,
        compress: Option<bool>,
        write: &Bound<'_, PyAny>,
        write_parts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let py = slf.py();
        // Encoded under the borrow, written after it.
        let data = if let Ok(text) = message.cast::<PyString>() {
            let frame = OutFrame {
                frame_type: FrameType::Text,
                fin: true,
                rsv: 0,
                payload: text.to_str()?.as_bytes(),
            };
            slf.borrow_mut().encode_one(py, &frame, compress)?
        } else if let Ok(bytes) = message.cast::<PyBytes>() {
            let payload = bytes.as_bytes();
            if let Some(write_parts) = write_parts.filter(|_| payload.len() >= VECTORED_MIN) {
                let header = slf.borrow_mut().binary_header(bytes, true)?;
                write_parts.call1(((header, bytes),))?;
                return Ok(true);
            }
            let frame = OutFrame {
                frame_type: FrameType::Binary,
                fin: true,
                rsv: 0,
                payload,
            };
            slf.borrow_mut().encode_one(py, &frame, compress)?
        } else {
            return Ok(false);
        };
        write.call1((data,))?;
        Ok(true)
    }

    /// The header alone of the Binary frame `encode_binary(data, fin, compress=False)` would
    /// write, for a caller that writes the payload after it itself (no copy of it); never
    /// compressed, unmasked encoders only.
    #[pyo3(signature = (data, fin = true))]
    fn binary_header<'py>(
        &mut self,
        data: &Bound<'py, PyBytes>,
        fin: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        if self.masking {
            return Err(value_error(
                "binary_header: a masking encoder must mask the payload too".to_owned(),
            ));
        }
        let mut state = self.inner;
        let frame = OutFrame {
            frame_type: FrameType::Binary,
            fin,
            rsv: 0,
            payload: data.as_bytes(),
        };
        let header = self.plan(&mut state, &frame)?;
        let out = PyBytes::new(data.py(), encode_header(&header).as_bytes());
        self.inner = state;
        Ok(out)
    }

    #[pyo3(signature = (data = None), text_signature = "($self, data=b'')")]
    fn encode_ping<'py>(
        &mut self,
        py: Python<'py>,
        data: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.encode_control(py, FrameType::Ping, data)
    }

    #[pyo3(signature = (data = None), text_signature = "($self, data=b'')")]
    fn encode_pong<'py>(
        &mut self,
        py: Python<'py>,
        data: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.encode_control(py, FrameType::Pong, data)
    }

    #[pyo3(signature = (reason = None))]
    fn encode_close<'py>(
        &mut self,
        py: Python<'py>,
        reason: Option<&Bound<'py, PyCloseReason>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload =
            close_payload(reason.map(|reason| &reason.get().inner)).map_err(usage_error_to_py)?;
        let frame = OutFrame {
            frame_type: FrameType::Close,
            fin: true,
            rsv: 0,
            payload: &payload,
        };
        self.encode_one(py, &frame, None)
    }

    #[pyo3(signature = (frame, compress = None))]
    fn encode_frame<'py>(
        &mut self,
        frame: &Bound<'py, PyFrame>,
        compress: Option<bool>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let py = frame.py();
        let frame = frame.get();
        let payload = frame.data.bind(py).as_bytes();
        let out = OutFrame {
            frame_type: frame.frame_type,
            fin: frame.fin,
            rsv: frame.rsv,
            payload,
        };
        self.encode_one(py, &out, compress)
    }

    /// One `bytes` for a batch: `str` as Text, bytes-like as Binary, `Frame` as it is.
    fn encode_batch<'py>(
        &mut self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let items: Vec<Bound<'py, PyAny>> = items.try_iter()?.collect::<PyResult<_>>()?;
        let mut parts = Vec::with_capacity(items.len());
        // First the checks, which change nothing: a refused item leaves the state as it was.
        let mut state = self.inner;
        for item in &items {
            let (frame_type, fin, rsv, part) = batch_item(item)?;
            let frame = OutFrame {
                frame_type,
                fin,
                rsv,
                payload: part.as_slice(),
            };
            state.plan(&frame).map_err(usage_error_to_py)?;
            if let Some(deflate) = &self.deflate {
                if !frame_type.is_control() {
                    deflate.check_available()?;
                }
            }
            parts.push((frame_type, fin, rsv, part));
        }
        let mut state = self.inner;
        let mut planned = Vec::with_capacity(parts.len());
        let mut total = 0usize;
        for (frame_type, fin, rsv, part) in &parts {
            let frame = OutFrame {
                frame_type: *frame_type,
                fin: *fin,
                rsv: *rsv,
                payload: part.as_slice(),
            };
            let starts = state.open_message().is_none();
            let mut header = self.plan(&mut state, &frame)?;
            let deflated = self.deflated(py, &frame, starts, None)?;
            if let Some((payload, rsv)) = &deflated {
                header.rsv |= rsv;
                header.payload_len = payload.len() as u64;
            }
            let len = deflated
                .as_ref()
                .map_or(frame.payload.len(), |(p, _)| p.len());
            total += encoded_len(len, header.mask.is_some());
            planned.push((header, deflated));
        }
        let out = new_bytes(py, total, |out| {
            for ((header, deflated), (_, _, _, part)) in planned.iter().zip(&parts) {
                let payload = deflated
                    .as_ref()
                    .map_or(part.as_slice(), |(p, _)| p.as_slice());
                write_frame(out, header, payload);
            }
        })?;
        self.inner = state;
        Ok(out)
    }

    /// A whole message (`str` as Text, bytes-like as Binary) compressed into a final `Frame`
    /// with RSV1, for `encode_frame`; the GIL is released while a large one is compressed, so
    /// another thread may call it. Meanwhile this encoder refuses other compressed messages.
    /// Unless `force`, a message that compressing would not make smaller comes back
    /// uncompressed (RSV1 clear), to send with `compress=False`.
    #[pyo3(signature = (message, force = false))]
    fn compress<'py>(
        slf: &Bound<'py, Self>,
        message: &Bound<'py, PyAny>,
        force: bool,
    ) -> PyResult<Bound<'py, PyFrame>> {
        let py = slf.py();
        let (frame_type, data) = if let Ok(text) = message.cast::<PyString>() {
            (FrameType::Text, Part::Borrowed(text.to_str()?.as_bytes()))
        } else if let Ok(bytes) = message.cast::<PyBytes>() {
            (FrameType::Binary, Part::Borrowed(bytes.as_bytes()))
        } else {
            let data = PyBuffer::<u8>::get(message)?.to_vec(py)?;
            (FrameType::Binary, Part::Copied(data))
        };
        let mut compressor = {
            let mut this = slf.borrow_mut();
            if let Some(open) = this.inner.open_message() {
                let got = frame_type;
                return Err(usage_error_to_py(UsageError::MessageInterleaved {
                    open,
                    got,
                }));
            }
            match &mut this.deflate {
                Some(deflate) => deflate.lend()?,
                None => return Err(usage_error_to_py(UsageError::DeflateNotNegotiated)),
            }
        };
        let payload = data.as_slice();
        let compressed = if payload.len() >= UNBLOCK_COMPRESS_MIN {
            py.detach(|| compress_part(&mut compressor, payload, true, true, force))
        } else {
            compress_part(&mut compressor, payload, true, true, force)
        };
        if let Some(deflate) = &mut slf.borrow_mut().deflate {
            deflate.restore(compressor);
        }
        let frame = match compressed {
            Some(compressed) => {
                PyFrame::build(frame_type, true, RSV1, PyBytes::new(py, &compressed))
            }
            None => PyFrame::build(frame_type, true, 0, PyBytes::new(py, payload)),
        };
        Bound::new(py, frame?)
    }
}
