//! `PerMessageDeflate` (the negotiation and its agreement) and the sending side of compression
//! that `FrameEncoder` delegates to.
//!
//! Large payloads are compressed with the GIL released, so that other Python threads (an
//! offloaded compression, another event loop) run meanwhile. A compressor is never shared: it
//! belongs to one encoder, and while `FrameEncoder.compress` has it on another thread any other
//! compressed send of that encoder is refused rather than interleaved.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::py::errors::{negotiation_error_to_py, usage_error_to_py};
use crate::ws::deflate::{
    accept_answer, client_offer, negotiate, parse_extensions, DeflateAgreement, DeflateConfig,
    DeflateSettings, MessageCompressor,
};
use crate::ws::error::DeflateSetting;
use crate::ws::header::RSV1;
use crate::ws::{OutFrame, UsageError};

/// Payloads at least this big are compressed with the GIL released.
pub(crate) const UNBLOCK_COMPRESS_MIN: usize = 64 * 1024;

/// A window setting of ours: 9 to 15 (zlib cannot compress within 8 bits).
fn window(bits: i64) -> PyResult<u8> {
    u8::try_from(bits)
        .ok()
        .filter(|bits| (9..=15).contains(bits))
        .ok_or_else(|| {
            usage_error_to_py(UsageError::DeflateSettingOutOfRange {
                setting: DeflateSetting::WindowBits,
            })
        })
}

fn config(
    server_max_window_bits: i64,
    client_max_window_bits: i64,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
) -> PyResult<DeflateConfig> {
    Ok(DeflateConfig {
        server_max_window_bits: window(server_max_window_bits)?,
        client_max_window_bits: window(client_max_window_bits)?,
        server_no_context_takeover,
        client_no_context_takeover,
    })
}

/// The permessage-deflate parameters both sides agreed (RFC 7692 §7.1): each direction's window
/// and whether its sender resets it after every message.
#[pyclass(
    name = "PerMessageDeflate",
    module = "wsrs._wsrs",
    frozen,
    eq,
    hash,
    skip_from_py_object
)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PyPerMessageDeflate {
    pub(crate) inner: DeflateAgreement,
}

// The parameters are RFC 7692's four, two of them flags; pyo3 methods take `&self` even on a
// 4-byte value, and extract a sequence argument into an owned vector.
#[allow(
    clippy::fn_params_excessive_bools,
    clippy::trivially_copy_pass_by_ref,
    clippy::needless_pass_by_value
)]
#[pymethods]
impl PyPerMessageDeflate {
    #[new]
    #[pyo3(signature = (*, server_max_window_bits = 15, client_max_window_bits = 15,
        server_no_context_takeover = false, client_no_context_takeover = false))]
    fn new(
        server_max_window_bits: i64,
        client_max_window_bits: i64,
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
    ) -> PyResult<Self> {
        let bits = |value: i64| {
            u8::try_from(value)
                .ok()
                .filter(|bits| (8..=15).contains(bits))
                .ok_or_else(|| {
                    usage_error_to_py(UsageError::DeflateSettingOutOfRange {
                        setting: DeflateSetting::WindowBits,
                    })
                })
        };
        Ok(Self {
            inner: DeflateAgreement {
                server_max_window_bits: bits(server_max_window_bits)?,
                client_max_window_bits: bits(client_max_window_bits)?,
                server_no_context_takeover,
                client_no_context_takeover,
            },
        })
    }

    #[getter]
    fn server_max_window_bits(&self) -> u8 {
        self.inner.server_max_window_bits
    }

    #[getter]
    fn client_max_window_bits(&self) -> u8 {
        self.inner.client_max_window_bits
    }

    #[getter]
    fn server_no_context_takeover(&self) -> bool {
        self.inner.server_no_context_takeover
    }

    #[getter]
    fn client_no_context_takeover(&self) -> bool {
        self.inner.client_no_context_takeover
    }

    /// The server's side: the agreement and the `Sec-WebSocket-Extensions` answer for the first
    /// offer among `offers` (the request's field values) it can meet, or None.
    #[staticmethod]
    #[pyo3(signature = (offers, *, server_max_window_bits = 15, client_max_window_bits = 15,
        server_no_context_takeover = false, client_no_context_takeover = false))]
    fn negotiate(
        py: Python<'_>,
        offers: Vec<String>,
        server_max_window_bits: i64,
        client_max_window_bits: i64,
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
    ) -> PyResult<Option<Bound<'_, PyTuple>>> {
        let config = config(
            server_max_window_bits,
            client_max_window_bits,
            server_no_context_takeover,
            client_no_context_takeover,
        )?;
        let fields: Vec<&str> = offers.iter().map(String::as_str).collect();
        // A header that breaks the grammar offers nothing we can read: every offer is declined.
        let Ok(offers) = parse_extensions(&fields) else {
            return Ok(None);
        };
        let Some((agreement, answer)) = negotiate(&offers, config) else {
            return Ok(None);
        };
        let agreement = Bound::new(py, Self { inner: agreement })?;
        Ok(Some(PyTuple::new(
            py,
            [agreement.into_any(), answer.into_pyobject(py)?.into_any()],
        )?))
    }

    /// The client's `Sec-WebSocket-Extensions` offer for this configuration.
    #[staticmethod]
    #[pyo3(signature = (*, server_max_window_bits = 15, client_max_window_bits = 15,
        server_no_context_takeover = false, client_no_context_takeover = false))]
    fn offer(
        server_max_window_bits: i64,
        client_max_window_bits: i64,
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
    ) -> PyResult<String> {
        Ok(client_offer(config(
            server_max_window_bits,
            client_max_window_bits,
            server_no_context_takeover,
            client_no_context_takeover,
        )?))
    }

    /// The client's side: the agreement the server's answer (its field values) states for the
    /// offer made with this configuration, or None when it accepted no extension.
    #[staticmethod]
    #[pyo3(signature = (answers, *, server_max_window_bits = 15, client_max_window_bits = 15,
        server_no_context_takeover = false, client_no_context_takeover = false))]
    fn accept(
        py: Python<'_>,
        answers: Vec<String>,
        server_max_window_bits: i64,
        client_max_window_bits: i64,
        server_no_context_takeover: bool,
        client_no_context_takeover: bool,
    ) -> PyResult<Option<Self>> {
        let config = config(
            server_max_window_bits,
            client_max_window_bits,
            server_no_context_takeover,
            client_no_context_takeover,
        )?;
        let fields: Vec<&str> = answers.iter().map(String::as_str).collect();
        let answer =
            parse_extensions(&fields).map_err(|err| negotiation_error_to_py(py, &err.message))?;
        let agreement = accept_answer(&answer, config)
            .map_err(|err| negotiation_error_to_py(py, &err.message))?;
        Ok(agreement.map(|inner| Self { inner }))
    }

    fn __repr__(&self) -> String {
        let a = self.inner;
        let flag = |on: bool| if on { "True" } else { "False" };
        format!(
            "PerMessageDeflate(server_max_window_bits={}, client_max_window_bits={}, \
             server_no_context_takeover={}, client_no_context_takeover={})",
            a.server_max_window_bits,
            a.client_max_window_bits,
            flag(a.server_no_context_takeover),
            flag(a.client_no_context_takeover)
        )
    }
}

/// A whole message compressed only if that makes it smaller, unless `force`; a fragment always
/// (its message is compressed from its first frame on).
// Four flags' worth of call sites: each names what it compresses.
#[allow(clippy::fn_params_excessive_bools)]
pub(crate) fn compress_part(
    compressor: &mut MessageCompressor,
    payload: &[u8],
    starts: bool,
    fin: bool,
    force: bool,
) -> Option<Vec<u8>> {
    if starts && fin && !force {
        compressor.compress_if_smaller(payload)
    } else {
        Some(compressor.compress_fragment(payload, fin))
    }
}

/// The sending side of permessage-deflate in an encoder: its compressor.
pub(crate) struct Outbound {
    /// None while `FrameEncoder.compress` has it on another thread.
    compressor: Option<MessageCompressor>,
}

impl Outbound {
    /// The sending side for `agreement` as `client` (or the server) sends; None when the agreed
    /// window is 8, which zlib cannot compress within: such a side sends uncompressed.
    pub(crate) fn new(
        agreement: DeflateAgreement,
        client: bool,
        level: i64,
        mem_level: i64,
    ) -> PyResult<Option<Self>> {
        let (window_bits, no_context_takeover) = agreement.sender(client);
        if window_bits < 9 {
            // Still check the other settings: a bad level is a bug whatever was agreed.
            DeflateSettings::new(level, 9, mem_level).map_err(usage_error_to_py)?;
            return Ok(None);
        }
        let settings = DeflateSettings::new(level, i64::from(window_bits), mem_level)
            .map_err(usage_error_to_py)?;
        Ok(Some(Self {
            compressor: Some(MessageCompressor::new(settings, no_context_takeover)),
        }))
    }

    /// True when the fragmented message being sent is compressed.
    pub(crate) fn is_open(&self) -> bool {
        self.compressor
            .as_ref()
            .is_some_and(MessageCompressor::is_open)
    }

    /// Whether `frame` goes out compressed: continuing a compressed message it must; a new
    /// message follows `compress`, else the policy (fragments always, whole messages from
    /// `min_size`); frames carrying RSV bits of their own never are.
    pub(crate) fn wants(
        &self,
        frame: &OutFrame<'_>,
        starts: bool,
        compress: Option<bool>,
        min_size: usize,
    ) -> bool {
        if frame.frame_type.is_control() {
            return false;
        }
        if !starts {
            return self.is_open();
        }
        frame.rsv == 0 && compress.unwrap_or(!frame.fin || frame.payload.len() >= min_size)
    }

    /// Fails unless the compressor is here (not lent to another thread).
    pub(crate) fn check_available(&self) -> PyResult<()> {
        if self.compressor.is_some() {
            Ok(())
        } else {
            Err(usage_error_to_py(UsageError::CompressorBusy))
        }
    }

    /// The payload of `frame` compressed, and the RSV bits it then carries; None for a whole
    /// message that compressing would not make smaller (unless `force`), which then goes out
    /// as it is.
    pub(crate) fn compress(
        &mut self,
        py: Python<'_>,
        frame: &OutFrame<'_>,
        starts: bool,
        force: bool,
    ) -> PyResult<Option<(Vec<u8>, u8)>> {
        let compressor = self
            .compressor
            .as_mut()
            .ok_or_else(|| usage_error_to_py(UsageError::CompressorBusy))?;
        let (payload, fin) = (frame.payload, frame.fin);
        let out = if payload.len() >= UNBLOCK_COMPRESS_MIN {
            py.detach(|| compress_part(compressor, payload, starts, fin, force))
        } else {
            compress_part(compressor, payload, starts, fin, force)
        };
        Ok(out.map(|out| (out, if starts { RSV1 } else { 0 })))
    }

    /// Lends the compressor out for a whole message compressed on another thread.
    pub(crate) fn lend(&mut self) -> PyResult<MessageCompressor> {
        if self.is_open() {
            return Err(usage_error_to_py(UsageError::CompressorBusy));
        }
        self.compressor
            .take()
            .ok_or_else(|| usage_error_to_py(UsageError::CompressorBusy))
    }

    /// Takes the compressor back.
    pub(crate) fn restore(&mut self, compressor: MessageCompressor) {
        self.compressor = Some(compressor);
    }
}
