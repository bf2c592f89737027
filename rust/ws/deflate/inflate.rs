//! Decompressing incoming messages (RFC 7692 §7.2.2): the payload of every frame of a compressed
//! message, then `00 00 FF FF`, through one DEFLATE stream, inflated as the bytes arrive.
//!
//! The output is capped: it never grows past the limit plus one byte, so a compression bomb is
//! refused (1009) after spending at most the limit. Once the tail is in, the stream must stand
//! between two blocks (or after a final block): anything else is not a message a conforming
//! compressor could have sent (1002). As for compressing, only the history stays between
//! messages; the context is borrowed from the first frame to the last.

use crate::ws::deflate::history::History;
use crate::ws::deflate::pool::{new_owner, out_of_memory, Pool, Taken, NOBODY};
use crate::ws::deflate::zlib::{InflateError, Inflater};
use crate::ws::error::WsError;
use crate::ws::mask::mask_copy;

/// Idle decompressors of the whole process; each holds its window and about 10 KiB of state.
static INFLATERS: Pool<Inflater, u8> = Pool::new(16);

/// Masked input is unmasked through a buffer this big on the stack (a multiple of 4, so the key
/// does not rotate from one piece to the next).
const UNMASK_PIECE: usize = 4096;

/// One direction's decompressor: its window and the message in progress.
pub struct MessageInflater {
    window_bits: u8,
    takeover: bool,
    owner: u64,
    history: History,
    active: Option<Inflater>,
}

impl MessageInflater {
    /// A decompressor for a peer whose window is at most `2^window_bits` bytes (8 to 15); with
    /// `no_context_takeover` the peer starts every message from an empty window.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        let window_bits = window_bits.clamp(8, 15);
        Self {
            window_bits,
            takeover: !no_context_takeover,
            owner: new_owner(),
            history: History::new(window_bits),
            active: None,
        }
    }

    /// True between the first frame of a compressed message and its end.
    pub const fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// Bytes held between messages (the history).
    pub fn memory(&self) -> usize {
        self.history.capacity()
    }

    /// Starts a compressed message.
    pub fn begin(&mut self) {
        if self.active.is_some() {
            return;
        }
        let mut inflater = match INFLATERS.take(self.window_bits, self.owner) {
            Some(Taken {
                context,
                warm: true,
            }) => {
                self.active = Some(context);
                return;
            }
            Some(Taken { mut context, .. }) => {
                context.reset();
                context
            }
            None => Inflater::new(self.window_bits).unwrap_or_else(|| out_of_memory()),
        };
        inflater.set_dictionary(self.history.as_slice());
        self.active = Some(inflater);
    }

    /// Inflates the next payload bytes of the message (masked with `key` from their first byte,
    /// if given) onto `out`, which must not grow past `limit`.
    ///
    /// # Errors
    /// [`WsError::InvalidCompressedData`] or [`WsError::DecompressedTooBig`]; the message is then
    /// dropped.
    pub fn feed(
        &mut self,
        data: &[u8],
        key: Option<[u8; 4]>,
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), WsError> {
        let Some(inflater) = self.active.as_mut() else {
            return Ok(());
        };
        let result = match key {
            None => inflater.inflate(data, out, limit),
            Some(key) => {
                let mut buf = [0u8; UNMASK_PIECE];
                data.chunks(UNMASK_PIECE).try_for_each(|piece| {
                    let buf = &mut buf[..piece.len()];
                    mask_copy(buf, piece, key);
                    inflater.inflate(buf, out, limit)
                })
            }
        };
        result.map_err(|err| {
            self.abort();
            error(err, limit)
        })
    }

    /// Ends the message whose whole output is `message`: adds the tail, checks that the stream
    /// stands between blocks, and keeps the window for the next message.
    ///
    /// # Errors
    /// As [`MessageInflater::feed`].
    pub fn finish(&mut self, message: &mut Vec<u8>, limit: usize) -> Result<(), WsError> {
        let Some(mut inflater) = self.active.take() else {
            return Ok(());
        };
        match inflater.end_message(message, limit) {
            Ok(true) => {}
            Ok(false) => {
                INFLATERS.give(inflater, self.window_bits, NOBODY);
                return Err(WsError::InvalidCompressedData);
            }
            Err(err) => {
                INFLATERS.give(inflater, self.window_bits, NOBODY);
                return Err(error(err, limit));
            }
        }
        let owner = if self.takeover {
            self.history.push(message);
            // After a final block the stream is over: the next message starts a new one, primed
            // with the history.
            if inflater.ended() {
                NOBODY
            } else {
                self.owner
            }
        } else {
            NOBODY
        };
        INFLATERS.give(inflater, self.window_bits, owner);
        Ok(())
    }

    /// Drops the message in progress (the connection is failing).
    pub fn abort(&mut self) {
        if let Some(inflater) = self.active.take() {
            INFLATERS.give(inflater, self.window_bits, NOBODY);
        }
    }
}

/// The violation an inflating error stands for.
fn error(err: InflateError, limit: usize) -> WsError {
    match err {
        InflateError::Corrupt => WsError::InvalidCompressedData,
        InflateError::TooBig => WsError::DecompressedTooBig { max: limit as u64 },
    }
}

impl std::fmt::Debug for MessageInflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageInflater")
            .field("window_bits", &self.window_bits)
            .field("takeover", &self.takeover)
            .field("history", &self.history.as_slice().len())
            .field("active", &self.active.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for MessageInflater {
    fn drop(&mut self) {
        self.abort();
    }
}
