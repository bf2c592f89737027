//! `FrameDecoder` and `FrameEncoder`: one Rust call per socket read, one per outgoing batch.
//!
//! The decoder builds each Python object straight from the bytes it has: a `bytes` is unmasked
//! while it is copied out of the input (`PyBytes::new_with`), a `str` is made from text already
//! checked, and the events of one read come back as one list. The encoder writes each frame's
//! header and (masked) payload into a single `bytes`, one allocation per call.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::frame::PyFrame;
use super::{new_bytes, new_str, BytesArg, PyCloseReason, PyFrameType};
use crate::py::errors::{usage_error_to_py, ws_error_to_py};
use crate::ws::encoder::{close_payload, encoded_len, random_mask_key, write_frame};
use crate::ws::header::FrameHeader;
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
}

/// Turns received bytes into frames or whole messages, enforcing RFC 6455 as it goes.
#[pyclass(name = "FrameDecoder", module = "wsrs._wsrs")]
pub(crate) struct PyFrameDecoder {
    inner: FrameDecoder,
    /// The violation, as the exception `feed` raises from then on.
    error: Option<PyErr>,
}

#[pymethods]
impl PyFrameDecoder {
    #[new]
    #[pyo3(signature = (*, client = false, max_frame_size = DEFAULT_MAX_FRAME_SIZE, reassemble = true, allowed_rsv = 0))]
    fn new(
        client: bool,
        max_frame_size: usize,
        reassemble: bool,
        allowed_rsv: i64,
    ) -> PyResult<Self> {
        let allowed_rsv = u8::try_from(allowed_rsv)
            .ok()
            .filter(|bits| *bits <= 0x7)
            .ok_or_else(|| usage_error_to_py(UsageError::RsvBitsOutOfRange))?;
        let inner = FrameDecoder::new(client, max_frame_size, reassemble, allowed_rsv);
        Ok(Self { inner, error: None })
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
        self.inner.buffered()
    }

    fn feed<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        if let Some(err) = &self.error {
            return Err(err.clone_ref(py));
        }
        let data = BytesArg::extract(data)?;
        let mut sink = PySink {
            py,
            events: Vec::new(),
        };
        self.inner.feed(data.as_slice(), &mut sink)?;
        if let Some(err) = self.inner.error() {
            self.error = Some(ws_error_to_py(err));
        }
        PyList::new(py, sink.events)
    }
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

/// Turns frames into bytes for the wire, masking while copying when `masking` is on.
#[pyclass(name = "FrameEncoder", module = "wsrs._wsrs")]
pub(crate) struct PyFrameEncoder {
    inner: FrameEncoder,
    /// Mask every frame with a fresh random key (the client side must).
    #[pyo3(get, set)]
    masking: bool,
}

impl PyFrameEncoder {
    /// The header for `frame` with a fresh key when masking; the state moves on in `state` only.
    fn plan(&self, state: &mut FrameEncoder, frame: &OutFrame<'_>) -> PyResult<FrameHeader> {
        let mut header = state.plan(frame).map_err(usage_error_to_py)?;
        header.mask = self.masking.then(random_mask_key);
        Ok(header)
    }

    fn encode_one<'py>(
        &mut self,
        py: Python<'py>,
        frame: &OutFrame<'_>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut state = self.inner;
        let header = self.plan(&mut state, frame)?;
        let len = encoded_len(frame.payload.len(), header.mask.is_some());
        let out = new_bytes(py, len, |out| write_frame(out, &header, frame.payload))?;
        self.inner = state;
        Ok(out)
    }

    fn encode_data<'py>(
        &mut self,
        data: &Bound<'py, PyAny>,
        frame_type: FrameType,
        fin: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = BytesArg::extract(data)?;
        let frame = OutFrame {
            frame_type,
            fin,
            rsv: 0,
            payload: payload.as_slice(),
        };
        self.encode_one(data.py(), &frame)
    }

    fn encode_control<'py>(
        &mut self,
        py: Python<'py>,
        frame_type: FrameType,
        data: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        match data {
            Some(data) => self.encode_data(data, frame_type, true),
            None => self.encode_one(
                py,
                &OutFrame {
                    frame_type,
                    fin: true,
                    rsv: 0,
                    payload: b"",
                },
            ),
        }
    }
}

#[pymethods]
impl PyFrameEncoder {
    #[new]
    #[pyo3(signature = (*, masking = false))]
    fn new(masking: bool) -> Self {
        Self {
            inner: FrameEncoder::new(),
            masking,
        }
    }

    /// The type of the fragmented message being sent, if one is open (a whole message cannot
    /// go out until it ends).
    #[getter]
    fn open_message(&self) -> Option<PyFrameType> {
        self.inner.open_message().map(PyFrameType::from)
    }

    #[pyo3(signature = (text, fin = true))]
    fn encode_text<'py>(
        &mut self,
        text: &Bound<'py, PyString>,
        fin: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let payload = text.to_str()?.as_bytes();
        self.encode_one(
            text.py(),
            &OutFrame {
                frame_type: FrameType::Text,
                fin,
                rsv: 0,
                payload,
            },
        )
    }

    #[pyo3(signature = (data, fin = true))]
    fn encode_binary<'py>(
        &mut self,
        data: &Bound<'py, PyAny>,
        fin: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.encode_data(data, FrameType::Binary, fin)
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
        self.encode_one(
            py,
            &OutFrame {
                frame_type: FrameType::Close,
                fin: true,
                rsv: 0,
                payload: &payload,
            },
        )
    }

    fn encode_frame<'py>(&mut self, frame: &Bound<'py, PyFrame>) -> PyResult<Bound<'py, PyBytes>> {
        let py = frame.py();
        let frame = frame.get();
        let payload = frame.data.bind(py).as_bytes();
        let out = OutFrame {
            frame_type: frame.frame_type,
            fin: frame.fin,
            rsv: frame.rsv,
            payload,
        };
        self.encode_one(py, &out)
    }

    /// One `bytes` for a batch: `str` as Text, bytes-like as Binary, `Frame` as it is.
    fn encode_batch<'py>(
        &mut self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let items: Vec<Bound<'py, PyAny>> = items.try_iter()?.collect::<PyResult<_>>()?;
        let mut state = self.inner;
        let mut planned = Vec::with_capacity(items.len());
        let mut total = 0usize;
        for item in &items {
            let (frame_type, fin, rsv, part) = batch_item(item)?;
            let header = self.plan(
                &mut state,
                &OutFrame {
                    frame_type,
                    fin,
                    rsv,
                    payload: part.as_slice(),
                },
            )?;
            total += encoded_len(part.as_slice().len(), header.mask.is_some());
            planned.push((header, part));
        }
        let out = new_bytes(py, total, |out| {
            for (header, part) in &planned {
                write_frame(out, header, part.as_slice());
            }
        })?;
        self.inner = state;
        Ok(out)
    }
}
