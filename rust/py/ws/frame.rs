//! `Frame`: one WebSocket frame as Python sees it, with Ktor's constructors and readers.
//!
//! Control frames (Close, Ping, Pong) are always final, carry no RSV bits and at most 125 bytes
//! (RFC 6455 §5.5); the constructors enforce it, as Ktor 3 does. Readers decode leniently, like
//! Ktor's: strict UTF-8 is the decoder's job, on the wire.

use std::hash::{Hash, Hasher};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::{BytesArg, PyCloseReason, PyFrameType};
use crate::py::errors::usage_error_to_py;
use crate::ws::header::{MAX_CONTROL_PAYLOAD_LEN, RSV1, RSV2, RSV3};
use crate::ws::{CloseReason, FrameType, UsageError};

/// The payload of `Frame.text`: a `str` as UTF-8, or bytes-like as they are.
fn text_or_bytes<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(text) = data.cast::<PyString>() {
        return Ok(PyBytes::new(data.py(), text.to_str()?.as_bytes()));
    }
    Ok(BytesArg::extract(data)?.into_bytes(data.py()))
}

/// One WebSocket frame: its type, FIN and RSV bits and its (unmasked) payload.
#[pyclass(name = "Frame", module = "wsrs._wsrs", frozen)]
pub(crate) struct PyFrame {
    pub(crate) frame_type: FrameType,
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    pub(crate) data: Py<PyBytes>,
}

impl PyFrame {
    /// A frame, enforcing Ktor's rule for control frames: FIN set, RSV clear, at most 125 bytes.
    pub(crate) fn build(
        frame_type: FrameType,
        fin: bool,
        rsv: u8,
        data: Bound<'_, PyBytes>,
    ) -> PyResult<Self> {
        if !frame_type.is_control() {
            return Ok(Self {
                frame_type,
                fin,
                rsv,
                data: data.unbind(),
            });
        }
        let size = data.as_bytes().len();
        if size > MAX_CONTROL_PAYLOAD_LEN {
            return Err(usage_error_to_py(UsageError::ControlPayloadTooLong {
                size,
            }));
        }
        Ok(Self {
            frame_type,
            fin: true,
            rsv: 0,
            data: data.unbind(),
        })
    }

    /// A Ping or Pong frame from optional bytes-like data (empty when absent).
    fn control(
        py: Python<'_>,
        frame_type: FrameType,
        data: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let data = match data {
            Some(data) => BytesArg::extract(data)?.into_bytes(py),
            None => PyBytes::new(py, b""),
        };
        Self::build(frame_type, true, 0, data)
    }

    fn require(&self, expected: FrameType) -> PyResult<()> {
        if self.frame_type == expected {
            Ok(())
        } else {
            Err(usage_error_to_py(UsageError::WrongFrameType {
                expected,
                got: self.frame_type,
            }))
        }
    }
}

const fn rsv_bits(rsv1: bool, rsv2: bool, rsv3: bool) -> u8 {
    (if rsv1 { RSV1 } else { 0 }) | (if rsv2 { RSV2 } else { 0 }) | (if rsv3 { RSV3 } else { 0 })
}

// The constructors mirror Ktor's, FIN and RSV flags included.
#[allow(clippy::fn_params_excessive_bools)]
#[pymethods]
impl PyFrame {
    #[getter]
    fn frame_type(&self) -> PyFrameType {
        self.frame_type.into()
    }

    #[getter]
    fn fin(&self) -> bool {
        self.fin
    }

    #[getter]
    fn rsv1(&self) -> bool {
        self.rsv & RSV1 != 0
    }

    #[getter]
    fn rsv2(&self) -> bool {
        self.rsv & RSV2 != 0
    }

    #[getter]
    fn rsv3(&self) -> bool {
        self.rsv & RSV3 != 0
    }

    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    /// A Text frame; a `str` is encoded as UTF-8.
    #[staticmethod]
    #[pyo3(signature = (data, fin = true, rsv1 = false, rsv2 = false, rsv3 = false))]
    fn text(
        data: &Bound<'_, PyAny>,
        fin: bool,
        rsv1: bool,
        rsv2: bool,
        rsv3: bool,
    ) -> PyResult<Self> {
        Self::build(
            FrameType::Text,
            fin,
            rsv_bits(rsv1, rsv2, rsv3),
            text_or_bytes(data)?,
        )
    }

    /// A Binary frame.
    #[staticmethod]
    #[pyo3(signature = (data, fin = true, rsv1 = false, rsv2 = false, rsv3 = false))]
    fn binary(
        data: &Bound<'_, PyAny>,
        fin: bool,
        rsv1: bool,
        rsv2: bool,
        rsv3: bool,
    ) -> PyResult<Self> {
        let data = BytesArg::extract(data)?.into_bytes(data.py());
        Self::build(FrameType::Binary, fin, rsv_bits(rsv1, rsv2, rsv3), data)
    }

    /// A Close frame; with no reason its payload is empty.
    #[staticmethod]
    #[pyo3(signature = (reason = None))]
    fn close(py: Python<'_>, reason: Option<&Bound<'_, PyCloseReason>>) -> PyResult<Self> {
        let payload = reason
            .map(|reason| reason.get().inner.to_payload())
            .unwrap_or_default();
        Self::build(FrameType::Close, true, 0, PyBytes::new(py, &payload))
    }

    /// A Ping frame; `ValueError` when `data` is over 125 bytes.
    #[staticmethod]
    #[pyo3(signature = (data = None), text_signature = "(data=b'')")]
    fn ping(py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Self::control(py, FrameType::Ping, data)
    }

    /// A Pong frame; `ValueError` when `data` is over 125 bytes.
    #[staticmethod]
    #[pyo3(signature = (data = None), text_signature = "(data=b'')")]
    fn pong(py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Self::control(py, FrameType::Pong, data)
    }

    /// A frame of any type; control frames are always final whatever `fin` says.
    #[staticmethod]
    fn by_type(frame_type: PyFrameType, fin: bool, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Self::build(
            frame_type.into(),
            fin,
            0,
            BytesArg::extract(data)?.into_bytes(data.py()),
        )
    }

    /// The payload of a final Text frame as text; invalid UTF-8 becomes U+FFFD.
    fn read_text<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        self.require(FrameType::Text)?;
        if !self.fin {
            return Err(usage_error_to_py(UsageError::FrameNotFinal));
        }
        Ok(PyString::new(
            py,
            &String::from_utf8_lossy(self.data.bind(py).as_bytes()),
        ))
    }

    /// The payload.
    fn read_bytes(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    /// The reason of a Close frame, or None when its payload is shorter than two bytes.
    fn read_reason(&self, py: Python<'_>) -> PyResult<Option<PyCloseReason>> {
        self.require(FrameType::Close)?;
        let Some((code, message)) = self.data.bind(py).as_bytes().split_first_chunk::<2>() else {
            return Ok(None);
        };
        let message = String::from_utf8_lossy(message);
        Ok(Some(PyCloseReason {
            inner: CloseReason::truncated(u16::from_be_bytes(*code), &message),
        }))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|other| {
            let other = other.get();
            (self.frame_type, self.fin, self.rsv) == (other.frame_type, other.fin, other.rsv)
                && self.data.bind(py).as_bytes() == other.data.bind(py).as_bytes()
        })
    }

    fn __hash__(&self, py: Python<'_>) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (
            self.frame_type,
            self.fin,
            self.rsv,
            self.data.bind(py).as_bytes(),
        )
            .hash(&mut hasher);
        hasher.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        const SHOWN: usize = 32;
        let data = self.data.bind(py).as_bytes();
        let shown = PyBytes::new(py, &data[..data.len().min(SHOWN)]).repr()?;
        let more = if data.len() > SHOWN {
            format!("... ({} bytes)", data.len())
        } else {
            String::new()
        };
        let rsv = if self.rsv == 0 {
            String::new()
        } else {
            format!(", rsv={:#05b}", self.rsv)
        };
        let name = PyFrameType::from(self.frame_type).name();
        Ok(format!(
            "Frame({name}, fin={}{rsv}, data={shown}{more})",
            if self.fin { "True" } else { "False" }
        ))
    }
}
