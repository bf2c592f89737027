//! Payload masking (RFC 6455 §5.3): byte `i` of the payload is XOR-ed with `key[i % 4]`.
//!
//! Masking runs over every byte a client sends and a server receives, so it has a fast path:
//! AVX2 when the CPU has it (detected at run time, never assumed at build time), SSE2 otherwise on
//! x86-64, then 8 bytes at a time, then byte by byte for the tail. Every fast function has a
//! scalar twin (`*_scalar`) that states the rule in one line; tests and the `mask` fuzz target
//! compare the two. This file holds the crate's only `unsafe` code.
//!
//! Masking from an offset inside the payload (a frame that arrives in pieces) rotates the key
//! with [`rotate_key`] so each piece is masked from its own start.
//!
//! [`UninitWriter`] fills fresh memory (a Python `bytes` being built, a vector's spare capacity)
//! from the front, copying or masking while copying, so that output is written once and never
//! zeroed first; it hands the memory back as initialised only once every byte was written.

use std::mem::MaybeUninit;

/// The key to mask a piece that starts `offset` bytes into the payload.
#[inline]
pub const fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let o = offset % 4;
    [key[o], key[(o + 1) % 4], key[(o + 2) % 4], key[(o + 3) % 4]]
}

/// XORs `buf` with `key` in place, the payload starting at `buf[0]`.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    let ptr = buf.as_mut_ptr();
    // SAFETY: `ptr` is valid for reads and writes of `buf.len()` bytes for the lifetime of the
    // `&mut` borrow; `mask_raw` allows the source and the destination to be the same range.
    unsafe { mask_raw(ptr, ptr, buf.len(), key) }
}

/// Writes `src` XOR-ed with `key` into `dst`: masks while copying.
///
/// # Panics
/// If `dst` and `src` differ in length (a caller bug, never the peer's doing).
#[inline]
pub fn mask_copy(dst: &mut [u8], src: &[u8], key: [u8; 4]) {
    assert_eq!(dst.len(), src.len(), "mask_copy needs equal lengths");
    // SAFETY: `src` is valid for reads and `dst` for writes of `src.len()` bytes; a `&mut` and a
    // `&` slice never overlap, which `mask_raw` requires when the ranges are not identical.
    unsafe { mask_raw(src.as_ptr(), dst.as_mut_ptr(), src.len(), key) }
}

/// Appends `src` XOR-ed with `key` to `dst`, masking straight into its spare capacity. Only
/// `src.len()` more bytes are reserved: a frame's declared length is never reserved up front.
#[inline]
pub fn extend_masked(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
    dst.reserve(src.len());
    let len = dst.len();
    let spare = dst.spare_capacity_mut().as_mut_ptr().cast::<u8>();
    // SAFETY: `reserve` left at least `src.len()` bytes of spare capacity after `len`, which
    // `mask_raw` fully writes (it never reads the destination when the ranges differ, and a `&`
    // slice cannot overlap the spare capacity of a `&mut Vec`). Those bytes are then initialised,
    // so the vector may grow over them.
    unsafe {
        mask_raw(src.as_ptr(), spare, src.len(), key);
        dst.set_len(len + src.len());
    }
}

/// Fills an uninitialised buffer from the front. Bytes `..written()` are initialised: each `put`
/// writes its whole source there before counting it.
#[derive(Debug)]
pub struct UninitWriter<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    written: usize,
}

impl<'a> UninitWriter<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [MaybeUninit<u8>]) -> Self {
        Self { buf, written: 0 }
    }

    /// How many bytes are written.
    pub const fn written(&self) -> usize {
        self.written
    }

    /// Room left in bytes.
    pub const fn remaining(&self) -> usize {
        self.buf.len() - self.written
    }

    /// Appends `src`.
    ///
    /// # Panics
    /// If `src` is longer than the room left (a caller bug: sizes are computed up front).
    #[inline]
    pub fn put(&mut self, src: &[u8]) {
        let dst = &mut self.buf[self.written..self.written + src.len()];
        // SAFETY: `dst` is valid for `src.len()` writes, and a `&` slice cannot overlap the
        // writer's exclusive buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len());
        };
        self.written += src.len();
    }

    /// Appends `src` XOR-ed with `key`, the payload starting at `src[0]`.
    ///
    /// # Panics
    /// As [`UninitWriter::put`].
    #[inline]
    pub fn put_masked(&mut self, src: &[u8], key: [u8; 4]) {
        let dst = &mut self.buf[self.written..self.written + src.len()];
        // SAFETY: `dst` is valid for `src.len()` writes and disjoint from `src` (see `put`);
        // `mask_raw` writes every byte of it and, the ranges being distinct, never reads it.
        unsafe { mask_raw(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len(), key) };
        self.written += src.len();
    }

    /// The buffer as initialised bytes, once every byte is written; `None` before.
    pub fn finish(self) -> Option<&'a mut [u8]> {
        if self.written != self.buf.len() {
            return None;
        }
        let len = self.buf.len();
        // SAFETY: all `len` bytes were written (the struct's invariant with `written == len`), so
        // the memory is initialised `u8`s, borrowed exclusively for `'a`.
        Some(unsafe { std::slice::from_raw_parts_mut(self.buf.as_mut_ptr().cast::<u8>(), len) })
    }
}

/// A vector of exactly `len` bytes written by `fill`, without zeroing it first.
///
/// # Panics
/// If `fill` leaves some of the `len` bytes unwritten (a caller bug).
pub fn vec_filled_by(len: usize, fill: impl FnOnce(&mut UninitWriter<'_>)) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut writer = UninitWriter::new(&mut out.spare_capacity_mut()[..len]);
    fill(&mut writer);
    assert!(
        writer.finish().is_some(),
        "vec_filled_by: {len} bytes announced, fewer written"
    );
    // SAFETY: the writer reported all `len` bytes of the spare capacity written.
    unsafe { out.set_len(len) };
    out
}

/// The reference for [`apply_mask`]: one byte at a time.
pub fn apply_mask_scalar(buf: &mut [u8], key: [u8; 4]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        *byte ^= key[i % 4];
    }
}

/// The reference for [`mask_copy`]: one byte at a time.
///
/// # Panics
/// If `dst` and `src` differ in length.
pub fn mask_copy_scalar(dst: &mut [u8], src: &[u8], key: [u8; 4]) {
    assert_eq!(dst.len(), src.len(), "mask_copy_scalar needs equal lengths");
    for (i, (out, byte)) in dst.iter_mut().zip(src).enumerate() {
        *out = byte ^ key[i % 4];
    }
}

/// Masks `len` bytes from `src` into `dst`, the widest way the CPU allows.
///
/// # Safety
/// `src` must be valid for reads and `dst` for writes of `len` bytes, and the two ranges must be
/// either identical or disjoint.
#[inline]
unsafe fn mask_raw(src: *const u8, dst: *mut u8, len: usize, key: [u8; 4]) {
    #[cfg(target_arch = "x86_64")]
    let done = if len >= 32 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected on this CPU; the caller's contract on `src`, `dst` and
        // `len` is the kernel's.
        unsafe { x86::mask_avx2(src, dst, len, key) }
    } else {
        // SAFETY: SSE2 is part of the x86-64 baseline; same contract as above.
        unsafe { x86::mask_sse2(src, dst, len, key) }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    // SAFETY: `done <= len` is a multiple of 4 (whole vectors), so the key phase is still 0 and
    // the rest of the ranges keeps the caller's contract.
    unsafe { mask_tail(src, dst, len, done, key) }
}

/// Masks bytes `start..len` 8 at a time, then one at a time; `start` must be a multiple of 4.
///
/// # Safety
/// As for [`mask_raw`], with `start <= len`.
#[inline]
unsafe fn mask_tail(src: *const u8, dst: *mut u8, len: usize, start: usize, key: [u8; 4]) {
    let key32 = u32::from_ne_bytes(key);
    let key64 = u64::from(key32) << 32 | u64::from(key32);
    let mut i = start;
    while i + 8 <= len {
        // SAFETY: `i + 8 <= len`, so both 8-byte ranges are in bounds; unaligned accesses have no
        // alignment requirement, and a read completes before the write to the same range.
        unsafe {
            let word = src.add(i).cast::<u64>().read_unaligned();
            dst.add(i).cast::<u64>().write_unaligned(word ^ key64);
        }
        i += 8;
    }
    while i < len {
        // SAFETY: `i < len`, in bounds of both ranges.
        unsafe { *dst.add(i) = *src.add(i) ^ key[i % 4] };
        i += 1;
    }
}

#[cfg(target_arch = "x86_64")]
// The unaligned load and store intrinsics take `__m128i`/`__m256i` pointers to any address.
#[allow(clippy::cast_ptr_alignment)]
mod x86 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_loadu_si256, _mm256_storeu_si256, _mm256_xor_si256,
        _mm_loadu_si128, _mm_storeu_si128, _mm_xor_si128,
    };

    /// Masks whole 32-byte blocks from the start, four per iteration while they last; returns
    /// how many bytes it masked (a multiple of 32).
    ///
    /// # Safety
    /// The CPU must support AVX2, and the contract of `mask_raw` holds.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn mask_avx2(
        src: *const u8,
        dst: *mut u8,
        len: usize,
        key: [u8; 4],
    ) -> usize {
        let lanes = [key; 8];
        // SAFETY: `lanes` is 32 readable bytes; the load has no alignment requirement.
        let key = unsafe { _mm256_loadu_si256(lanes.as_ptr().cast::<__m256i>()) };
        let mut done = 0;
        while done + 128 <= len {
            // SAFETY: `done + 128 <= len`, so the four 32-byte blocks are in bounds of both
            // ranges; all four are loaded before any is stored, so identical ranges stay correct.
            unsafe {
                let from = src.add(done).cast::<__m256i>();
                let to = dst.add(done).cast::<__m256i>();
                let blocks = [
                    _mm256_loadu_si256(from),
                    _mm256_loadu_si256(from.add(1)),
                    _mm256_loadu_si256(from.add(2)),
                    _mm256_loadu_si256(from.add(3)),
                ];
                for (n, block) in blocks.into_iter().enumerate() {
                    _mm256_storeu_si256(to.add(n), _mm256_xor_si256(block, key));
                }
            }
            done += 128;
        }
        while done + 32 <= len {
            // SAFETY: `done + 32 <= len`: one block in bounds of both ranges.
            unsafe {
                let block = _mm256_loadu_si256(src.add(done).cast::<__m256i>());
                _mm256_storeu_si256(
                    dst.add(done).cast::<__m256i>(),
                    _mm256_xor_si256(block, key),
                );
            }
            done += 32;
        }
        done
    }

    /// Masks whole 16-byte blocks from the start; returns how many bytes it masked.
    ///
    /// # Safety
    /// The contract of `mask_raw` holds (SSE2 is always present on x86-64).
    pub(super) unsafe fn mask_sse2(
        src: *const u8,
        dst: *mut u8,
        len: usize,
        key: [u8; 4],
    ) -> usize {
        let lanes = [key; 4];
        // SAFETY: `lanes` is 16 readable bytes; the load has no alignment requirement.
        let k = unsafe { _mm_loadu_si128(lanes.as_ptr().cast::<__m128i>()) };
        let mut i = 0;
        while i + 16 <= len {
            // SAFETY: `i + 16 <= len`: one block in bounds of both ranges.
            unsafe {
                let v = _mm_loadu_si128(src.add(i).cast::<__m128i>());
                _mm_storeu_si128(dst.add(i).cast::<__m128i>(), _mm_xor_si128(v, k));
            }
            i += 16;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn rfc_example_masks_hello() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut data = *b"Hello";
        apply_mask(&mut data, KEY);
        assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    #[test]
    fn fast_in_place_matches_scalar_for_every_length_and_alignment() {
        for align in 0..=7 {
            for len in 0..=64 {
                let mut fast = vec![0u8; align + len];
                fast[align..].copy_from_slice(&pattern(len));
                let mut slow = fast.clone();
                apply_mask(&mut fast[align..], KEY);
                apply_mask_scalar(&mut slow[align..], KEY);
                assert_eq!(fast, slow, "len {len} align {align}");
            }
        }
    }

    #[test]
    fn fast_copy_matches_scalar_for_every_length_and_both_alignments() {
        for src_align in 0..=7 {
            for dst_align in 0..=7 {
                for len in 0..=64 {
                    let mut src = vec![0u8; src_align + len];
                    src[src_align..].copy_from_slice(&pattern(len));
                    let mut fast = vec![0u8; dst_align + len];
                    let mut slow = fast.clone();
                    mask_copy(&mut fast[dst_align..], &src[src_align..], KEY);
                    mask_copy_scalar(&mut slow[dst_align..], &src[src_align..], KEY);
                    assert_eq!(fast, slow, "len {len} src {src_align} dst {dst_align}");
                }
            }
        }
    }

    #[test]
    fn long_buffers_cross_every_kernel() {
        for len in [127, 128, 129, 255, 4096 + 13, 100_003] {
            let src = pattern(len);
            let mut fast = vec![0u8; len];
            let mut slow = vec![0u8; len];
            mask_copy(&mut fast, &src, KEY);
            mask_copy_scalar(&mut slow, &src, KEY);
            assert_eq!(fast, slow, "len {len}");
            apply_mask(&mut fast, KEY);
            assert_eq!(fast, src, "masking twice restores the data");
        }
    }

    #[test]
    fn the_writer_copies_and_masks_into_fresh_memory() {
        let src = pattern(100);
        let out = vec_filled_by(8 + 100 + 100, |writer| {
            writer.put(b"header:!");
            writer.put_masked(&src, KEY);
            assert_eq!(writer.remaining(), 100);
            writer.put(&src);
        });
        let mut masked = src.clone();
        apply_mask_scalar(&mut masked, KEY);
        assert_eq!([&b"header:!"[..], &masked, &src].concat(), out);
    }

    #[test]
    fn an_unfinished_writer_hands_nothing_back() {
        let mut buf = [MaybeUninit::new(0u8); 4];
        let mut writer = UninitWriter::new(&mut buf);
        writer.put(b"abc");
        assert_eq!(writer.written(), 3);
        assert!(writer.finish().is_none());
    }

    #[test]
    #[should_panic(expected = "fewer written")]
    fn filling_fewer_bytes_than_announced_panics() {
        vec_filled_by(4, |writer| writer.put(b"abc"));
    }

    #[test]
    fn extend_masked_appends_after_what_is_there() {
        for len in [0, 3, 31, 32, 200] {
            let src = pattern(len);
            let mut out = b"head".to_vec();
            extend_masked(&mut out, &src, KEY);
            let mut expected = src.clone();
            apply_mask_scalar(&mut expected, KEY);
            assert_eq!(&out[..4], b"head");
            assert_eq!(out[4..], expected, "len {len}");
        }
    }

    #[test]
    fn rotated_key_masks_a_piece_from_any_offset() {
        let payload = pattern(64);
        let mut whole = payload.clone();
        apply_mask_scalar(&mut whole, KEY);
        for offset in 0..=8 {
            for len in 0..=(64 - offset) {
                let mut piece = payload[offset..offset + len].to_vec();
                apply_mask(&mut piece, rotate_key(KEY, offset));
                assert_eq!(
                    piece,
                    whole[offset..offset + len],
                    "offset {offset} len {len}"
                );
            }
        }
        assert_eq!(rotate_key(KEY, 4), KEY);
        assert_eq!(rotate_key(KEY, 1), [0xFA, 0x21, 0x3D, 0x37]);
    }
}
