//! Memory per idle raw-deflate context, and compression speed, for stock zlib (libz-sys, built
//! from source) and zlib-rs (libz-rs-sys), through the same zlib API.
//!
//! Memory: 400 contexts each compress (or inflate) two different 1 KiB JSON messages with a sync
//! flush, as a session after two echoes; the heap growth (glibc's `mallinfo2`, mmapped chunks
//! included, both libraries allocating with malloc here) divided by 400. Speed: one context
//! compressing a 1 KiB JSON message (a new one each time) and 1 MiB of text.
//!
//!     make bench-zlib
#![allow(clippy::all, missing_docs, unsafe_op_in_unsafe_fn)]

use std::time::Instant;

fn heap() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

/// Text-like bytes: words from a small vocabulary, picked by a linear congruential generator.
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "session",
        "message",
        "frame",
        "window",
        "memory",
        "server",
        "client",
        "socket",
        "deflate",
        "context",
        "handshake",
        "extension",
        "bytes",
        "ping",
        "close",
    ];
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(WORDS[(state >> 33) as usize % WORDS.len()].as_bytes());
        out.push(if (state >> 20) % 11 == 0 { b'\n' } else { b' ' });
    }
    out.truncate(len);
    out
}

/// About 1 KiB of JSON, different for every seed.
fn json(seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_add(1);
    let mut out = b"[".to_vec();
    let mut id = 0;
    while out.len() < 1024 - 80 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let item = format!(
            "{{\"id\":{id},\"user\":\"user{}\",\"score\":{}.{},\"active\":{}}},",
            (state >> 40) % 1000,
            (state >> 20) % 100,
            (state >> 10) % 100,
            (state >> 5) % 2 == 0
        );
        out.extend_from_slice(item.as_bytes());
        id += 1;
    }
    out.push(b']');
    out.resize(1024, b' ');
    out
}

macro_rules! zlib {
    ($name:ident, $z:path, $zalloc:expr, $zfree:expr) => {
        mod $name {
            use std::mem::MaybeUninit;
            use $z as z;

            fn stream() -> Box<z::z_stream> {
                // SAFETY: a zeroed z_stream is zlib's documented initial state, allocator set.
                unsafe {
                    let mut s: Box<MaybeUninit<z::z_stream>> = Box::new(MaybeUninit::zeroed());
                    let p = s.as_mut_ptr();
                    (*p).zalloc = $zalloc;
                    (*p).zfree = $zfree;
                    Box::from_raw(Box::into_raw(s).cast())
                }
            }

            pub struct Deflate(Box<z::z_stream>);
            pub struct Inflate(Box<z::z_stream>);

            fn run(s: &mut z::z_stream, input: &[u8], out: &mut Vec<u8>, deflate: bool) {
                out.clear();
                out.reserve(input.len() * 4 + 64);
                s.next_in = input.as_ptr() as *mut _;
                s.avail_in = input.len() as _;
                loop {
                    if out.capacity() - out.len() < 64 {
                        out.reserve(out.capacity());
                    }
                    let room = out.capacity() - out.len();
                    // SAFETY: next_out points at `room` spare bytes of `out`.
                    unsafe {
                        s.next_out = out.as_mut_ptr().add(out.len());
                        s.avail_out = room as _;
                        let code = if deflate {
                            z::deflate(s, 2)
                        } else {
                            z::inflate(s, 2)
                        };
                        assert!(code == 0 || code == -5, "zlib error {code}");
                        out.set_len(out.len() + room - s.avail_out as usize);
                    }
                    if s.avail_in == 0 && s.avail_out != 0 {
                        break;
                    }
                }
            }

            impl Deflate {
                pub fn new(level: i32, window_bits: i32, mem_level: i32) -> Self {
                    let mut s = stream();
                    let size = std::mem::size_of::<z::z_stream>() as i32;
                    // SAFETY: a fresh boxed stream; negative window bits: raw deflate.
                    let code = unsafe {
                        z::deflateInit2_(
                            &mut *s,
                            level,
                            8,
                            -window_bits,
                            mem_level,
                            0,
                            z::zlibVersion(),
                            size,
                        )
                    };
                    assert_eq!(code, 0);
                    Self(s)
                }
                pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) {
                    run(&mut self.0, input, out, true);
                }
            }
            impl Drop for Deflate {
                fn drop(&mut self) {
                    // SAFETY: initialised above, ended once.
                    unsafe { z::deflateEnd(&mut *self.0) };
                }
            }
            impl Inflate {
                pub fn new(window_bits: i32) -> Self {
                    let mut s = stream();
                    let size = std::mem::size_of::<z::z_stream>() as i32;
                    // SAFETY: as above.
                    let code =
                        unsafe { z::inflateInit2_(&mut *s, -window_bits, z::zlibVersion(), size) };
                    assert_eq!(code, 0);
                    Self(s)
                }
                pub fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>) {
                    run(&mut self.0, input, out, false);
                }
            }
            impl Drop for Inflate {
                fn drop(&mut self) {
                    // SAFETY: initialised above, ended once.
                    unsafe { z::inflateEnd(&mut *self.0) };
                }
            }
        }
    };
}

unsafe extern "C" fn c_alloc(
    _: *mut libc::c_void,
    n: libc::c_uint,
    size: libc::c_uint,
) -> *mut libc::c_void {
    libc::malloc(n as usize * size as usize)
}
unsafe extern "C" fn c_free(_: *mut libc::c_void, p: *mut libc::c_void) {
    libc::free(p)
}
zlib!(stock, libz_sys, super::c_alloc, super::c_free);
zlib!(zrs, libz_rs_sys, None, None);

const CONTEXTS: usize = 400;

macro_rules! memory {
    ($lib:ident, $name:expr, $wb:expr, $ml:expr) => {{
        let mut out = Vec::new();
        let before = heap();
        let mut deflaters: Vec<_> = (0..CONTEXTS)
            .map(|_| $lib::Deflate::new(6, $wb, $ml))
            .collect();
        let mut first = Vec::new();
        for (n, d) in deflaters.iter_mut().enumerate() {
            d.compress(&json(n as u64), &mut first);
            d.compress(&json(n as u64 + 1), &mut out);
        }
        let compressed = heap();
        let mut inflaters: Vec<_> = (0..CONTEXTS).map(|_| $lib::Inflate::new($wb)).collect();
        for i in &mut inflaters {
            i.inflate(&first, &mut out);
        }
        let inflated = heap();
        drop((deflaters, inflaters));
        let per = |bytes: usize| bytes as f64 / CONTEXTS as f64 / 1024.0;
        println!(
            "| {:8} | {:2} | {} | {:6.1} | {:5.1} |",
            $name,
            $wb,
            $ml,
            per(compressed - before),
            per(inflated - compressed)
        );
    }};
}

macro_rules! speed {
    ($lib:ident, $name:expr, $wb:expr, $ml:expr, $level:expr) => {{
        let big = text(1 << 20, 3);
        let messages: Vec<Vec<u8>> = (0..5000).map(json).collect();
        let mut d = $lib::Deflate::new($level, $wb, $ml);
        let mut out = Vec::new();
        let t = Instant::now();
        let mut small_bytes = 0;
        for m in &messages {
            d.compress(m, &mut out);
            small_bytes += out.len();
        }
        let small = t.elapsed().as_secs_f64() / messages.len() as f64;
        let t = Instant::now();
        for _ in 0..5 {
            d.compress(&big, &mut out);
        }
        let per_mib = t.elapsed().as_secs_f64() / 5.0;
        let ratio = out.len() as f64 / big.len() as f64;
        let mut fresh = $lib::Deflate::new($level, $wb, $ml);
        let mut compressed = Vec::new();
        fresh.compress(&big, &mut compressed);
        let t = Instant::now();
        for _ in 0..5 {
            $lib::Inflate::new($wb).inflate(&compressed, &mut out);
        }
        let inflate = t.elapsed().as_secs_f64() / 5.0;
        println!(
            "| {:8} | {:2}/{} | {} | {:5.1} µs ({:.2}) | {:6.1} MB/s ({:.2}) | {:6.1} MB/s |",
            $name,
            $wb,
            $ml,
            $level,
            small * 1e6,
            small_bytes as f64 / messages.len() as f64 / 1024.0,
            1.048576 / per_mib,
            ratio,
            1.048576 / inflate
        );
    }};
}

fn main() {
    println!("memory per idle context after two 1 KiB JSON messages, KiB\n");
    println!("| library  | wb | ml | deflate | inflate |");
    println!("|---|---|---|---|---|");
    for (wb, ml) in [(9, 1), (10, 3), (11, 4), (12, 5), (13, 6), (14, 7), (15, 8)] {
        memory!(stock, "zlib", wb, ml);
    }
    for (wb, ml) in [(9, 1), (12, 5), (15, 8)] {
        memory!(zrs, "zlib-rs", wb, ml);
    }
    println!(
        "\nspeed: 1 KiB JSON per message (output/input), 1 MiB of text (ratio), inflating it\n"
    );
    println!("| library  | wb/ml | level | 1 KiB JSON | 1 MiB text | inflate |");
    println!("|---|---|---|---|---|---|");
    for (wb, ml, level) in [(12, 5, 1), (12, 5, 6), (15, 8, 1), (15, 8, 6)] {
        speed!(stock, "zlib", wb, ml, level);
        speed!(zrs, "zlib-rs", wb, ml, level);
    }
}
