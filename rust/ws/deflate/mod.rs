//! permessage-deflate (RFC 7692): negotiation, and compression of whole messages.
//!
//! - `extensions`: the `Sec-WebSocket-Extensions` grammar (RFC 6455 §9.1).
//! - `negotiate`: offers, answers and the agreement (RFC 7692 §7.1).
//! - `compress` / `inflate`: one direction's stream each (§7.2), whole messages with the
//!   `00 00 FF FF` tail removed and added back, context takeover kept or reset.
//! - `history`, `pool`: what keeps an idle session small. Between messages a session keeps only
//!   the bytes its peer's window holds (at most `2^window_bits` per direction); the zlib contexts
//!   themselves (from 10 KiB to 370 KiB each) are borrowed per message from a small pool.
//! - `zlib`: the safe wrapper around zlib-rs.
//!
//! The frame rules (RSV1 on the first frame of a data message only, never on a control frame or
//! a continuation, never without the extension: 1002) are the decoder's and the header's.

pub mod compress;
pub mod extensions;
pub mod history;
pub mod inflate;
pub mod negotiate;
pub mod pool;
pub mod zlib;

pub use compress::MessageCompressor;
pub use extensions::{parse_extensions, Extension, SyntaxError};
pub use inflate::MessageInflater;
pub use negotiate::{
    accept_answer, client_offer, negotiate, DeflateAgreement, DeflateConfig, NegotiationError,
};
pub use zlib::DeflateSettings;

/// The empty stored block a sync flush ends with, removed from each compressed message on the
/// wire (RFC 7692 §7.2.1) and added back before inflating it (§7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
