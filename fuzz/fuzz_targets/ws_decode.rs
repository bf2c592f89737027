//! Invariant: for any bytes, in either role and either mode, the decoder yields events and at
//! most one error, never a panic; the error carries 1002, 1007 or 1009; and the events and the
//! error are the same however the bytes are split across `feed` calls. Each text decodes to the
//! code points the Python `str` builder writes.
//!
//! Input layout: byte 0 picks the configuration (bit 0 client, bit 1 raw mode, bits 2-4 the RSV
//! bits allowed, bit 5 a small `max_frame_size`), bytes 1-2 two cut points, the rest is the wire.
#![no_main]

use _wsrs::ws::utf8::{code_point_layout, decode_code_points};
use _wsrs::ws::{FrameDecoder, OwnedEvent, WsError};
use libfuzzer_sys::fuzz_target;

const SMALL_MAX: usize = 200;

struct Config {
    client: bool,
    reassemble: bool,
    allowed_rsv: u8,
    max_frame_size: usize,
}

fn decode(config: &Config, chunks: &[&[u8]]) -> (Vec<OwnedEvent>, Option<WsError>) {
    let mut decoder = FrameDecoder::new(
        config.client,
        config.max_frame_size,
        config.reassemble,
        config.allowed_rsv,
    );
    let mut events = Vec::new();
    for chunk in chunks {
        let Ok(()) = decoder.feed(chunk, &mut events);
        let bound = 14 + config.max_frame_size + 125;
        assert!(
            decoder.buffered() <= bound,
            "buffered {} over {bound}",
            decoder.buffered()
        );
    }
    if decoder.is_closed() {
        assert!(decoder.error().is_none());
    }
    for event in &events {
        if let OwnedEvent::Text(text) = event {
            check_code_points(text);
        }
    }
    (events, decoder.error())
}

fn check_code_points(text: &str) {
    let (count, widest) = code_point_layout(text);
    let mut code_points = vec![0u32; count];
    assert_eq!(decode_code_points(text, |at, c| code_points[at] = c), count);
    assert!(code_points.iter().all(|&c| c <= widest));
    assert!(code_points.iter().copied().eq(text.chars().map(u32::from)));
}

fuzz_target!(|input: &[u8]| {
    let [flags, a, b, wire @ ..] = input else {
        return;
    };
    let config = Config {
        client: flags & 1 != 0,
        reassemble: flags & 2 == 0,
        allowed_rsv: (flags >> 2) & 7,
        max_frame_size: if flags & 0x20 != 0 {
            SMALL_MAX
        } else {
            1 << 20
        },
    };
    let whole = decode(&config, &[wire]);
    if let Some(err) = whole.1 {
        assert!(matches!(err.close_code(), 1002 | 1007 | 1009), "{err:?}");
    }
    let (mut a, mut b) = (
        usize::from(*a) % (wire.len() + 1),
        usize::from(*b) % (wire.len() + 1),
    );
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }
    assert_eq!(
        decode(&config, &[&wire[..a], &wire[a..b], &wire[b..]]),
        whole,
        "cuts {a} {b}"
    );
    if wire.len() <= 512 {
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode(&config, &bytes), whole, "byte at a time");
    }
});
