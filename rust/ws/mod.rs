//! The WebSocket frame codec (RFC 6455 §5): headers, masking, UTF-8, close payloads, and the
//! decoder and encoder built from them. Pure Rust: the Python bindings live in `py::ws`.
//!
//! - `opcode`: opcodes and frame types (§5.2, §11.8).
//! - `header`: parse and serialize a header, with the rules on a single frame (§5.1, §5.2, §5.5).
//! - `mask`: masking (§5.3), SIMD with a scalar twin.
//! - `utf8`: incremental UTF-8 validation (§8.1).
//! - `close`: close codes, reasons and Close payloads (§5.5.1, §7.4).
//! - `decoder` / `event`: bytes to events, with fragmentation and limits (§5.4).
//! - `encoder`: frames to bytes, with the sender's rules.
//! - `deflate`: permessage-deflate (RFC 7692), its negotiation and its streams.
//! - `error`: the peer's violations (`WsError`, each with its close code) and the caller's misuse
//!   (`UsageError`).

pub mod close;
pub mod decoder;
pub mod deflate;
pub mod encoder;
pub mod error;
pub mod event;
pub mod header;
pub mod mask;
pub mod opcode;
pub mod utf8;

pub use close::{CloseCode, CloseReason};
pub use decoder::{FrameDecoder, PendingBinary};
pub use encoder::{FrameEncoder, OutFrame};
pub use error::{UsageError, WsError};
pub use event::{Event, EventSink, OwnedEvent, Payload};
pub use opcode::{FrameType, OpCode};

/// Default cap on one frame and on one reassembled message: 16 MiB, between aiohttp's 4 MiB and
/// websockets' need for larger uploads; every session can raise or lower it.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
