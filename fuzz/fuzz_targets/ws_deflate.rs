//! Invariant: with permessage-deflate on, for any bytes, the decoder yields events and at most
//! one error, never a panic; the error carries 1002, 1007 or 1009; no message is over the limit,
//! compressed or inflated; and the outcome is the same however the bytes are split. And any
//! messages, compressed (whole or in fragments, window and reset as configured) and decoded,
//! come back unchanged.
//!
//! Input layout: byte 0 picks the configuration (bit 0 client, bits 1-3 the window over 9 (9 to
//! 15, 8 meaning 9), bit 4 no context takeover, bit 5 a small `max_frame_size`, bit 6 level 1
//! instead of 6), bytes 1-2 two cut points, the rest is the wire. The same rest, split at each
//! 0xFF byte, is the list of messages for the round trip.
#![no_main]

use _wsrs::ws::deflate::{DeflateSettings, MessageCompressor, MessageInflater};
use _wsrs::ws::encoder::{random_mask_key, FrameEncoder, OutFrame};
use _wsrs::ws::header::RSV1;
use _wsrs::ws::{FrameDecoder, FrameType, OwnedEvent, WsError};
use libfuzzer_sys::fuzz_target;

const SMALL_MAX: usize = 300;

#[derive(Clone, Copy)]
struct Config {
    client: bool,
    window_bits: u8,
    reset: bool,
    max_frame_size: usize,
    level: i64,
}

fn decoder(config: Config) -> FrameDecoder {
    let mut decoder = FrameDecoder::new(config.client, config.max_frame_size, true, 0);
    let inflater = MessageInflater::new(config.window_bits, config.reset);
    let Ok(()) = decoder.enable_deflate(inflater) else {
        unreachable!("a reassembling decoder takes an inflater")
    };
    decoder
}

fn decode(config: Config, chunks: &[&[u8]]) -> (Vec<OwnedEvent>, Option<WsError>) {
    let mut decoder = decoder(config);
    let mut events = Vec::new();
    for chunk in chunks {
        let Ok(()) = decoder.feed(chunk, &mut events);
        let bound = 14 + config.max_frame_size + 1 + 125;
        assert!(decoder.buffered() <= bound, "buffered {} over {bound}", decoder.buffered());
    }
    for event in &events {
        let len = match event {
            OwnedEvent::Text(text) => text.len(),
            OwnedEvent::Binary(data) | OwnedEvent::Frame { data, .. } => data.len(),
        };
        assert!(len <= config.max_frame_size, "{len} bytes over the limit");
    }
    (events, decoder.error())
}

/// Compresses `messages` as the peer of `config`'s decoder would send them, some fragmented.
fn round_trip(config: Config, messages: &[&[u8]]) {
    let Ok(settings) = DeflateSettings::new(config.level, i64::from(config.window_bits), 8) else {
        unreachable!("settings in range")
    };
    let mut compressor = MessageCompressor::new(settings, config.reset);
    let mut encoder = FrameEncoder::new();
    let mut wire = Vec::new();
    for message in messages {
        let pieces: Vec<&[u8]> = if message.len() > 4 && message[0] & 1 == 1 {
            message.chunks(message.len() / 3 + 1).collect()
        } else {
            vec![message]
        };
        for (at, piece) in pieces.iter().enumerate() {
            let fin = at + 1 == pieces.len();
            let payload = compressor.compress_fragment(piece, fin);
            let frame = OutFrame {
                frame_type: FrameType::Binary,
                fin,
                rsv: if at == 0 { RSV1 } else { 0 },
                payload: &payload,
            };
            let mask = (!config.client).then(random_mask_key);
            let Ok(bytes) = encoder.encode(&frame, mask) else {
                unreachable!("binary frames in order")
            };
            wire.extend(bytes);
        }
    }
    let big = Config {
        max_frame_size: 1 << 20,
        ..config
    };
    let (events, error) = decode(big, &[&wire]);
    assert_eq!(error, None);
    let expected: Vec<OwnedEvent> = messages.iter().map(|m| OwnedEvent::Binary(m.to_vec())).collect();
    assert_eq!(events, expected);
}

fuzz_target!(|input: &[u8]| {
    let [flags, a, b, wire @ ..] = input else {
        return;
    };
    let config = Config {
        client: flags & 1 != 0,
        window_bits: (9 + (flags >> 1) % 8).min(15),
        reset: flags & 0x10 != 0,
        max_frame_size: if flags & 0x20 != 0 { SMALL_MAX } else { 1 << 20 },
        level: if flags & 0x40 != 0 { 1 } else { 6 },
    };
    let whole = decode(config, &[wire]);
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
    let split = decode(config, &[&wire[..a], &wire[a..b], &wire[b..]]);
    assert_eq!(split, whole, "cuts {a} {b}");
    let messages: Vec<&[u8]> = wire.split(|&byte| byte == 0xFF).collect();
    round_trip(config, &messages);
});
