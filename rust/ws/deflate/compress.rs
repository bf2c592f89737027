//! Compressing outgoing messages (RFC 7692 §7.2.1): the whole message through one DEFLATE stream,
//! sync-flushed, with the trailing `00 00 FF FF` removed.
//!
//! With context takeover the stream goes on from message to message; without it each message
//! starts from an empty window. Between messages the compressor holds only its history (see
//! `pool`); a fragmented message keeps its context from the first fragment to the last.

use crate::ws::deflate::history::History;
use crate::ws::deflate::pool::{new_owner, out_of_memory, Pool, Taken, NOBODY};
use crate::ws::deflate::zlib::{DeflateSettings, Deflater};
use crate::ws::deflate::TAIL;
use crate::ws::error::{DeflateSetting, UsageError};

/// Idle compressors of the whole process; each holds up to a few hundred KiB.
static DEFLATERS: Pool<Deflater, DeflateSettings> = Pool::new(8);

impl DeflateSettings {
    /// Checked settings: `level` -1 to 9, `window_bits` 9 to 15, `mem_level` 1 to 9.
    ///
    /// # Errors
    /// [`UsageError::DeflateSettingOutOfRange`] naming the first value out of range.
    pub fn new(level: i64, window_bits: i64, mem_level: i64) -> Result<Self, UsageError> {
        let check = |setting, value: i64, range: std::ops::RangeInclusive<i8>| {
            i8::try_from(value)
                .ok()
                .filter(|value| range.contains(value))
                .ok_or(UsageError::DeflateSettingOutOfRange { setting })
        };
        let level = check(DeflateSetting::Level, level, -1..=9)?;
        let window_bits = check(DeflateSetting::WindowBits, window_bits, 9..=15)?.unsigned_abs();
        let mem_level = check(DeflateSetting::MemLevel, mem_level, 1..=9)?.unsigned_abs();
        Ok(Self {
            level,
            window_bits,
            mem_level,
        })
    }
}

/// One direction's compressor: settings, the shared window, and the message in progress.
pub struct MessageCompressor {
    settings: DeflateSettings,
    takeover: bool,
    owner: u64,
    history: History,
    /// The context of a fragmented message between its first and its final fragment.
    open: Option<Deflater>,
}

impl MessageCompressor {
    /// A compressor; with `no_context_takeover` every message starts from an empty window.
    pub fn new(settings: DeflateSettings, no_context_takeover: bool) -> Self {
        Self {
            settings,
            takeover: !no_context_takeover,
            owner: new_owner(),
            history: History::new(settings.window_bits),
            open: None,
        }
    }

    /// The settings.
    pub const fn settings(&self) -> DeflateSettings {
        self.settings
    }

    /// True between the first and the final fragment of a message.
    pub const fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Bytes held between messages (the history).
    pub fn memory(&self) -> usize {
        self.history.capacity()
    }

    /// The payload of a whole message compressed, tail removed.
    pub fn compress(&mut self, message: &[u8]) -> Vec<u8> {
        self.compress_fragment(message, true)
    }

    /// A whole message compressed, or None when that would not make it smaller (data already
    /// compressed: zlib-rs' level 1 grows it by about 5 %). It is then to go out uncompressed,
    /// which the peer's window never sees: ours forgets it too, the context being reset and
    /// primed with the history before its next use.
    pub fn compress_if_smaller(&mut self, message: &[u8]) -> Option<Vec<u8>> {
        if self.open.is_some() {
            return Some(self.compress(message));
        }
        let mut deflater = self.borrow();
        let mut out = Vec::new();
        deflater.compress(message, &mut out);
        end_message(&mut out);
        if out.len() >= message.len() {
            DEFLATERS.give(deflater, self.settings, NOBODY);
            return None;
        }
        if self.takeover {
            self.history.push(message);
        }
        self.give_back(deflater);
        Some(out)
    }

    /// The next piece of a message compressed and flushed, so the peer can inflate it at once;
    /// `fin` ends the message, and only then is the tail removed.
    pub fn compress_fragment(&mut self, data: &[u8], fin: bool) -> Vec<u8> {
        let mut deflater = match self.open.take() {
            Some(deflater) => deflater,
            None => self.borrow(),
        };
        let mut out = Vec::new();
        deflater.compress(data, &mut out);
        if self.takeover {
            self.history.push(data);
        }
        if fin {
            end_message(&mut out);
            self.give_back(deflater);
        } else {
            self.open = Some(deflater);
        }
        out
    }

    /// Returns the context of a message just ended to the pool, as the continuation of our
    /// stream when the window is kept.
    fn give_back(&self, deflater: Deflater) {
        let owner = if self.takeover { self.owner } else { NOBODY };
        DEFLATERS.give(deflater, self.settings, owner);
    }

    /// A context that continues this compressor's stream: its own if still idle, else one reset
    /// and primed with the history.
    fn borrow(&self) -> Deflater {
        let mut deflater = match DEFLATERS.take(self.settings, self.owner) {
            Some(Taken {
                context,
                warm: true,
            }) => return context,
            Some(Taken { mut context, .. }) => {
                context.reset();
                context
            }
            None => Deflater::new(self.settings).unwrap_or_else(|| out_of_memory()),
        };
        deflater.set_dictionary(self.history.as_slice());
        deflater
    }
}

/// Ends the compressed payload of a message: the sync flush's tail removed (§7.2.1).
fn end_message(out: &mut Vec<u8>) {
    if out.ends_with(&TAIL) {
        out.truncate(out.len() - TAIL.len());
    } else {
        // zlib writes nothing for a flush right after another: the message must still end with
        // a stored block's header, which the tail completes (§7.2.3.6).
        debug_assert!(out.is_empty(), "a sync flush ends with the tail");
        out.push(0x00);
    }
}

impl std::fmt::Debug for MessageCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageCompressor")
            .field("settings", &self.settings)
            .field("takeover", &self.takeover)
            .field("history", &self.history.as_slice().len())
            .field("open", &self.open.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for MessageCompressor {
    fn drop(&mut self) {
        if let Some(deflater) = self.open.take() {
            DEFLATERS.give(deflater, self.settings, NOBODY);
        }
    }
}
