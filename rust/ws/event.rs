//! What the decoder hands out: events that borrow their payload, and the sink that receives them.
//!
//! An event lives only for the duration of one [`EventSink::event`] call, so its payload can point
//! straight into the caller's input, still masked: the sink unmasks while copying into whatever
//! it builds (a Python `bytes`, a `Vec`), and the payload is copied exactly once.

use std::convert::Infallible;

use crate::ws::mask::{extend_masked, UninitWriter};
use crate::ws::opcode::FrameType;

/// A payload as the decoder holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Bytes as they arrived, masked with `key` from their first byte.
    Masked {
        /// The masked bytes.
        data: &'a [u8],
        /// The masking key of the frame.
        key: [u8; 4],
    },
    /// Bytes already unmasked (or never masked).
    Plain(&'a [u8]),
}

impl Payload<'_> {
    /// The payload length in bytes.
    pub const fn len(&self) -> usize {
        match self {
            Self::Masked { data, .. } | Self::Plain(data) => data.len(),
        }
    }

    /// True for an empty payload.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the unmasked payload to `out`.
    ///
    /// # Panics
    /// If `out` has less room than [`Payload::len`] (a caller bug).
    pub fn write_to(&self, out: &mut UninitWriter<'_>) {
        match *self {
            Self::Masked { data, key } => out.put_masked(data, key),
            Self::Plain(data) => out.put(data),
        }
    }

    /// The unmasked payload as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        match *self {
            Self::Masked { data, key } => {
                let mut out = Vec::with_capacity(data.len());
                extend_masked(&mut out, data, key);
                out
            }
            Self::Plain(data) => data.to_vec(),
        }
    }
}

/// One decoded item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A whole text message, validated as UTF-8 (reassembling mode).
    Text(&'a str),
    /// A whole binary message (reassembling mode).
    Binary(Payload<'a>),
    /// A frame: every control frame, every frame in raw mode, and in reassembling mode a whole
    /// message whose first frame carried extension (RSV) bits, with those bits.
    Frame {
        /// The type; continuation frames carry their message's type.
        frame_type: FrameType,
        /// The FIN bit (true for reassembled messages).
        fin: bool,
        /// The RSV bits, as `RSV1 << 2 | RSV2 << 1 | RSV3`.
        rsv: u8,
        /// The payload.
        payload: Payload<'a>,
    },
}

/// Receives the decoder's events, in order.
pub trait EventSink {
    /// What building an output can fail with (a Python `MemoryError`, say).
    type Error;

    /// Takes one event.
    ///
    /// # Errors
    /// Whatever building the output failed with; decoding stops and `feed` returns it.
    fn event(&mut self, event: Event<'_>) -> Result<(), Self::Error>;

    /// Runs `work`, a long piece of byte work (inflating a large payload) that touches nothing
    /// of the sink's. The Python sink releases the GIL meanwhile; by default it just runs.
    fn unblocked<R: Send>(&mut self, work: impl FnOnce() -> R + Send) -> R {
        work()
    }
}

/// An event that owns its payload, for Rust callers, tests and fuzzing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    /// A whole text message.
    Text(String),
    /// A whole binary message.
    Binary(Vec<u8>),
    /// A frame (see [`Event::Frame`]).
    Frame {
        /// The type.
        frame_type: FrameType,
        /// The FIN bit.
        fin: bool,
        /// The RSV bits.
        rsv: u8,
        /// The unmasked payload.
        data: Vec<u8>,
    },
}

impl From<Event<'_>> for OwnedEvent {
    fn from(event: Event<'_>) -> Self {
        match event {
            Event::Text(text) => Self::Text(text.to_owned()),
            Event::Binary(payload) => Self::Binary(payload.to_vec()),
            Event::Frame {
                frame_type,
                fin,
                rsv,
                payload,
            } => Self::Frame {
                frame_type,
                fin,
                rsv,
                data: payload.to_vec(),
            },
        }
    }
}

impl EventSink for Vec<OwnedEvent> {
    type Error = Infallible;

    fn event(&mut self, event: Event<'_>) -> Result<(), Infallible> {
        self.push(event.into());
        Ok(())
    }
}
