//! The two raw-deflate streams permessage-deflate needs (RFC 7692 §7.2: DEFLATE data with no zlib
//! header or checksum), wrapped safely around zlib-rs through its zlib-compatible API.
//!
//! zlib-rs rather than stock zlib: a context here is only ever borrowed for one message (see
//! `pool`), so its size is paid a few times per process, not once per session, and zlib-rs
//! compresses about twice as fast and inflates two to three times as fast on this project's
//! benchmarks. The measurements are in the README's compression section.

use std::ffi::c_int;

use libz_rs_sys as z;

use crate::ws::deflate::TAIL;

/// `sizeof(z_stream)`, which zlib's init functions check against their own.
// About a hundred bytes: the cast cannot wrap.
#[allow(clippy::cast_possible_wrap)]
const STREAM_SIZE: c_int = std::mem::size_of::<z::z_stream>() as c_int;

/// The largest piece handed to zlib at once: its counters are 32-bit.
const MAX_PIECE: usize = 1 << 30;

/// How a compressor is set up; part of the key under which idle compressors are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateSettings {
    /// zlib's level: 0 (store) to 9 (smallest), -1 for its default (6).
    pub level: i8,
    /// Base-2 logarithm of the LZ77 window: 9 to 15 (zlib cannot compress with 8).
    pub window_bits: u8,
    /// zlib's memLevel, 1 to 9: the size of its hash chains and pending buffer.
    pub mem_level: u8,
}

/// A raw-deflate compressor.
pub struct Deflater {
    /// Boxed because zlib keeps a pointer back to the stream and checks it on every call: the
    /// stream must never move once initialised.
    stream: Box<z::z_stream>,
}

// SAFETY: the stream and everything its state points to belong to this value alone; zlib-rs keeps
// no thread-local or shared state, so using it from another thread (one at a time, which `&mut`
// guarantees) is sound.
unsafe impl Send for Deflater {}

// SAFETY: a shared reference gives no access to the stream (every method that reaches it takes
// `&mut self`), so sharing one between threads is sound.
unsafe impl Sync for Deflater {}

impl Deflater {
    /// A compressor, or None when zlib refuses the settings or cannot allocate its state.
    pub fn new(settings: DeflateSettings) -> Option<Self> {
        let mut stream = Box::new(z::z_stream::default());
        // SAFETY: `stream` is a default stream (null state, the Rust allocator set), boxed so it
        // stays where zlib records it; version and size are the linked library's own. Negative
        // window bits select raw deflate.
        let code = unsafe {
            z::deflateInit2_(
                &raw mut *stream,
                c_int::from(settings.level),
                z::Z_DEFLATED,
                -c_int::from(settings.window_bits),
                c_int::from(settings.mem_level),
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                STREAM_SIZE,
            )
        };
        (code == z::Z_OK).then_some(Self { stream })
    }

    /// Forgets the window: the next data starts a fresh stream.
    pub fn reset(&mut self) {
        // SAFETY: the stream was initialised by `deflateInit2_` and not ended.
        let code = unsafe { z::deflateReset(&raw mut *self.stream) };
        debug_assert_eq!(code, z::Z_OK);
    }

    /// Primes a fresh (or just reset) stream with the bytes the peer's window already holds, so
    /// that the next data may refer back to them.
    pub fn set_dictionary(&mut self, dictionary: &[u8]) {
        if dictionary.is_empty() {
            return;
        }
        // The history kept is at most one window (32 KiB), so its length fits in a `c_uint`.
        let len = dictionary.len() as u32;
        // SAFETY: the stream is initialised and has not been fed since its reset; zlib reads
        // `len` bytes from `dictionary`, which stays borrowed for the call.
        let code =
            unsafe { z::deflateSetDictionary(&raw mut *self.stream, dictionary.as_ptr(), len) };
        debug_assert_eq!(code, z::Z_OK);
    }

    /// Compresses all of `input` and sync-flushes (RFC 7692 §7.2.1), appending to `out`. The
    /// output then ends with the empty stored block `00 00 FF FF`.
    pub fn compress(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        loop {
            let piece = input.len().min(MAX_PIECE);
            let last = piece == input.len();
            let flush = if last { z::Z_SYNC_FLUSH } else { z::Z_NO_FLUSH };
            self.stream.next_in = input.as_ptr();
            self.stream.avail_in = piece as u32;
            loop {
                // Stored blocks cost 5 bytes per 16 KiB at worst, the flush 6 more.
                let want = self.stream.avail_in as usize / 16 + 64;
                let room = spare_room(out, want);
                self.stream.next_out = out.as_mut_ptr().wrapping_add(out.len());
                self.stream.avail_out = room as u32;
                // SAFETY: the stream is initialised; `next_in` points at `avail_in` readable bytes
                // of `input` and `next_out` at `avail_out` writable bytes of `out`'s spare
                // capacity, both borrowed until the call returns.
                let code = unsafe { z::deflate(&raw mut *self.stream, flush) };
                let written = room - self.stream.avail_out as usize;
                // SAFETY: zlib initialised the `written` bytes it reports at the end of `out`.
                unsafe { out.set_len(out.len() + written) };
                debug_assert!(code == z::Z_OK || code == z::Z_BUF_ERROR, "deflate: {code}");
                // Done once the input is taken and zlib did not fill all the room it had.
                if self.stream.avail_in == 0 && written < room {
                    break;
                }
            }
            input = &input[piece..];
            if last {
                break;
            }
        }
        self.stream.next_in = std::ptr::null();
        self.stream.next_out = std::ptr::null_mut();
        self.stream.avail_out = 0;
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised and is ended exactly once, here.
        unsafe { z::deflateEnd(&raw mut *self.stream) };
    }
}

/// Reserves room for at least `want` more bytes, growing `out` geometrically; returns the room
/// there is, at most 4 GiB - 1 (zlib's counters are 32-bit).
fn spare_room(out: &mut Vec<u8>, want: usize) -> usize {
    if out.capacity() - out.len() < want {
        out.reserve(want.max(out.len()));
    }
    (out.capacity() - out.len()).min(u32::MAX as usize)
}

/// Why inflating failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InflateError {
    /// The data is not valid DEFLATE.
    Corrupt,
    /// The output would go over the limit.
    TooBig,
}

/// A raw-deflate decompressor.
pub struct Inflater {
    /// Boxed, as [`Deflater`]'s.
    stream: Box<z::z_stream>,
    ended: bool,
}

// SAFETY: as for `Deflater`: the stream's state is owned, and `&mut` keeps use to one thread at a
// time.
unsafe impl Send for Inflater {}

// SAFETY: as for `Deflater`: through `&self` only the plain `ended` flag is read.
unsafe impl Sync for Inflater {}

impl Inflater {
    /// A decompressor for data compressed with a window of at most `2^window_bits` bytes (8 to
    /// 15), or None when zlib cannot allocate its state.
    pub fn new(window_bits: u8) -> Option<Self> {
        let mut stream = Box::new(z::z_stream::default());
        // SAFETY: as in `Deflater::new`; negative window bits select raw inflate.
        let code = unsafe {
            z::inflateInit2_(
                &raw mut *stream,
                -c_int::from(window_bits),
                z::zlibVersion(),
                STREAM_SIZE,
            )
        };
        (code == z::Z_OK).then_some(Self {
            stream,
            ended: false,
        })
    }

    /// Forgets the window and any stream in progress.
    pub fn reset(&mut self) {
        // SAFETY: the stream was initialised by `inflateInit2_` and not ended.
        let code = unsafe { z::inflateReset(&raw mut *self.stream) };
        debug_assert_eq!(code, z::Z_OK);
        self.ended = false;
    }

    /// Fills the window with the bytes the peer's compressor may refer back to.
    pub fn set_dictionary(&mut self, dictionary: &[u8]) {
        if dictionary.is_empty() {
            return;
        }
        // At most one window (32 KiB).
        let len = dictionary.len() as u32;
        // SAFETY: the stream is initialised and raw, so a dictionary may be set at any time;
        // zlib copies `len` bytes from `dictionary`.
        let code =
            unsafe { z::inflateSetDictionary(&raw mut *self.stream, dictionary.as_ptr(), len) };
        debug_assert_eq!(code, z::Z_OK);
    }

    /// True once the data held a final block (BFINAL): whatever follows it is ignored.
    pub const fn ended(&self) -> bool {
        self.ended
    }

    /// Inflates `input`, appending to `out`, which never grows past `limit + 1` bytes: one byte
    /// past the limit proves the output too big before more is spent.
    ///
    /// # Errors
    /// [`InflateError::Corrupt`] for data that is not DEFLATE, [`InflateError::TooBig`] once the
    /// output is over `limit`. The stream is then unusable until reset.
    pub fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), InflateError> {
        while !input.is_empty() && !self.ended {
            let piece = input.len().min(MAX_PIECE);
            self.stream.next_in = input.as_ptr();
            self.stream.avail_in = piece as u32;
            let result = self.run(out, limit, z::Z_NO_FLUSH);
            let taken = piece - self.stream.avail_in as usize;
            input = &input[taken..];
            self.stream.next_in = std::ptr::null();
            self.stream.avail_in = 0;
            result?;
            if taken < piece && !self.ended {
                break;
            }
        }
        self.stream.next_out = std::ptr::null_mut();
        self.stream.avail_out = 0;
        Ok(())
    }

    /// Inflates the `00 00 FF FF` that ends every message (RFC 7692 §7.2.2) and tells whether
    /// the stream then stands between two blocks, as it must once a conforming message is
    /// complete (or after a final block, when the tail is ignored).
    ///
    /// # Errors
    /// As [`Inflater::inflate`].
    pub fn end_message(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<bool, InflateError> {
        if self.ended {
            return Ok(true);
        }
        self.stream.next_in = TAIL.as_ptr();
        self.stream.avail_in = TAIL.len() as u32;
        // Z_BLOCK stops at the first block boundary: the tail must take the stream exactly there.
        let result = self.run(out, limit, z::Z_BLOCK);
        let left = self.stream.avail_in;
        self.stream.next_in = std::ptr::null();
        self.stream.avail_in = 0;
        self.stream.next_out = std::ptr::null_mut();
        self.stream.avail_out = 0;
        result?;
        // zlib sets bit 7 of `data_type` when it stopped right after a block.
        Ok(self.ended || left == 0 && self.stream.data_type & 0x80 != 0)
    }

    /// Runs zlib over the input the stream points at until it is taken, the stream ends, or
    /// (with `Z_BLOCK`) a block ends.
    fn run(&mut self, out: &mut Vec<u8>, limit: usize, flush: c_int) -> Result<(), InflateError> {
        loop {
            if out.len() > limit {
                return Err(InflateError::TooBig);
            }
            let cap = limit + 1 - out.len();
            let want = (self.stream.avail_in as usize)
                .saturating_mul(4)
                .clamp(4096, 1 << 20);
            let room = spare_room(out, want.min(cap)).min(cap);
            self.stream.next_out = out.as_mut_ptr().wrapping_add(out.len());
            self.stream.avail_out = room as u32;
            // SAFETY: the stream is initialised; `next_in` points at `avail_in` readable bytes
            // borrowed from the caller's input and `next_out` at `room` writable bytes of `out`'s
            // spare capacity (`spare_room` reserved at least that many), both live for the call.
            let code = unsafe { z::inflate(&raw mut *self.stream, flush) };
            let written = room - self.stream.avail_out as usize;
            // SAFETY: zlib initialised the `written` bytes it reports at the end of `out`.
            unsafe { out.set_len(out.len() + written) };
            match code {
                z::Z_STREAM_END => {
                    self.ended = true;
                    return if out.len() > limit {
                        Err(InflateError::TooBig)
                    } else {
                        Ok(())
                    };
                }
                z::Z_OK | z::Z_BUF_ERROR => {
                    // Output room left over means zlib took all it could from this input.
                    if self.stream.avail_out > 0 || self.stream.avail_in == 0 && written == 0 {
                        return if out.len() > limit {
                            Err(InflateError::TooBig)
                        } else {
                            Ok(())
                        };
                    }
                }
                _ => return Err(InflateError::Corrupt),
            }
        }
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised and is ended exactly once, here.
        unsafe { z::inflateEnd(&raw mut *self.stream) };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn settings(window_bits: u8) -> DeflateSettings {
        DeflateSettings {
            level: 6,
            window_bits,
            mem_level: 8,
        }
    }

    #[test]
    fn a_sync_flush_ends_with_the_empty_stored_block() {
        let mut deflater = Deflater::new(settings(15)).unwrap();
        let mut out = Vec::new();
        deflater.compress(b"Hello", &mut out);
        assert!(out.ends_with(&TAIL), "{out:x?}");
        // RFC 7692 §7.2.3.1: "Hello" with a fresh window is `f2 48 cd c9 c9 07 00`.
        assert_eq!(
            &out[..out.len() - 4],
            [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
    }

    #[test]
    fn the_rfc_examples_inflate() {
        let mut inflater = Inflater::new(15).unwrap();
        let mut out = Vec::new();
        // §7.2.3.1, then §7.2.3.2: the second "Hello" refers back to the first.
        inflater
            .inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100)
            .unwrap();
        assert_eq!(inflater.end_message(&mut out, 100), Ok(true));
        inflater
            .inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100)
            .unwrap();
        assert_eq!(inflater.end_message(&mut out, 100), Ok(true));
        assert_eq!(out, b"HelloHello");
        // A message cut inside its block does not end between blocks.
        let mut inflater = Inflater::new(15).unwrap();
        inflater
            .inflate(&[0xf2, 0x48, 0xcd], &mut out, 100)
            .unwrap();
        assert_eq!(inflater.end_message(&mut out, 100), Ok(false));
        // §7.2.3.4: a final block ends the stream; what follows is ignored.
        let mut inflater = Inflater::new(15).unwrap();
        let mut out = Vec::new();
        let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        inflater.inflate(&final_block, &mut out, 100).unwrap();
        assert_eq!(inflater.end_message(&mut out, 100), Ok(true));
        assert_eq!((out.as_slice(), inflater.ended()), (&b"Hello"[..], true));
    }

    #[test]
    fn a_dictionary_stands_for_the_window_already_shared() {
        let first = b"permessage-deflate keeps its window between messages".repeat(3);
        let second = b"permessage-deflate keeps its window".to_vec();
        let mut warm = Deflater::new(settings(12)).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        warm.compress(&first, &mut a);
        a.clear();
        warm.compress(&second, &mut a);
        let mut primed = Deflater::new(settings(12)).unwrap();
        primed.set_dictionary(&first);
        primed.compress(&second, &mut b);
        let mut inflater = Inflater::new(12).unwrap();
        let mut out = Vec::new();
        inflater.set_dictionary(&first);
        inflater.inflate(&b, &mut out, 1000).unwrap();
        assert_eq!(out, second);
        assert!(
            b.len() < 16,
            "refers back to the dictionary: {} bytes",
            b.len()
        );
    }

    #[test]
    fn output_stops_one_byte_past_the_limit() {
        let zeros = vec![0u8; 1 << 20];
        let mut deflater = Deflater::new(settings(15)).unwrap();
        let mut compressed = Vec::new();
        deflater.compress(&zeros, &mut compressed);
        let mut inflater = Inflater::new(15).unwrap();
        let mut out = Vec::new();
        let err = inflater.inflate(&compressed, &mut out, 1000).unwrap_err();
        assert_eq!((err, out.len()), (InflateError::TooBig, 1001));
        assert!(out.capacity() <= 4096, "capacity {}", out.capacity());
        let mut out = Vec::new();
        let mut inflater = Inflater::new(15).unwrap();
        inflater
            .inflate(&compressed, &mut out, zeros.len())
            .unwrap();
        assert_eq!(out.len(), zeros.len());
    }

    #[test]
    fn garbage_is_corrupt() {
        let mut inflater = Inflater::new(15).unwrap();
        let mut out = Vec::new();
        // BTYPE 11 is reserved.
        assert_eq!(
            inflater.inflate(&[0xff, 0xff], &mut out, 100),
            Err(InflateError::Corrupt)
        );
    }

    #[test]
    fn window_8_cannot_compress_but_can_inflate() {
        assert!(Deflater::new(settings(8)).is_none());
        assert!(Inflater::new(8).is_some());
    }
}
