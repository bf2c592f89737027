//! permessage-deflate end to end: compressed frames through the encoder and the decoder.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::encoder::{random_mask_key, FrameEncoder, OutFrame};
use crate::ws::error::DeflateSetting::{Level, MemLevel, WindowBits};
use crate::ws::header::{RSV1, RSV2};
use crate::ws::{FrameDecoder, FrameType, OwnedEvent, WsError};

fn settings(window_bits: u8) -> DeflateSettings {
    DeflateSettings::new(6, i64::from(window_bits), 8).unwrap()
}

/// A server-side decoder (masked input) that inflates with `window_bits`.
fn decoder(window_bits: u8, no_context_takeover: bool, max: usize) -> FrameDecoder {
    let mut decoder = FrameDecoder::new(false, max, true, 0);
    decoder
        .enable_deflate(MessageInflater::new(window_bits, no_context_takeover))
        .unwrap();
    decoder
}

fn frame(frame_type: FrameType, fin: bool, rsv: u8, payload: &[u8]) -> Vec<u8> {
    let out = OutFrame {
        frame_type,
        fin,
        rsv,
        payload,
    };
    FrameEncoder::new()
        .encode(&out, Some(random_mask_key()))
        .unwrap()
}

/// Frames for `message` compressed in fragments of `piece` bytes (0: one frame).
fn compressed(
    compressor: &mut MessageCompressor,
    frame_type: FrameType,
    message: &[u8],
    piece: usize,
) -> Vec<u8> {
    let mut encoder = FrameEncoder::new();
    let pieces: Vec<&[u8]> = if piece == 0 || message.is_empty() {
        vec![message]
    } else {
        message.chunks(piece).collect()
    };
    let mut wire = Vec::new();
    for (at, part) in pieces.iter().enumerate() {
        let fin = at + 1 == pieces.len();
        let payload = compressor.compress_fragment(part, fin);
        let rsv = if at == 0 { RSV1 } else { 0 };
        let out = OutFrame {
            frame_type,
            fin,
            rsv,
            payload: &payload,
        };
        wire.extend(encoder.encode(&out, Some(random_mask_key())).unwrap());
    }
    wire
}

fn feed(decoder: &mut FrameDecoder, wire: &[u8], cut: usize) -> Vec<OwnedEvent> {
    let mut events = Vec::new();
    let cut = cut.max(1);
    for chunk in wire.chunks(cut) {
        decoder.feed(chunk, &mut events).unwrap();
    }
    events
}

/// Text-like but varied bytes: compressible, and different from message to message.
fn sample(len: usize, seed: u64) -> Vec<u8> {
    let words = [
        "frame ",
        "window ",
        "deflate ",
        "session ",
        "{\"id\": ",
        "42, ",
        "\n",
    ];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(words[(state % words.len() as u64) as usize].as_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn messages_round_trip_with_and_without_context_takeover() {
    for window_bits in [9u8, 12, 15] {
        for reset in [false, true] {
            let mut compressor = MessageCompressor::new(settings(window_bits), reset);
            let mut decoder = decoder(window_bits, reset, 1 << 22);
            for (at, len) in [0usize, 1, 16, 125, 1000, 4096, 70_000, 300_000]
                .into_iter()
                .enumerate()
            {
                let message = sample(len, at as u64);
                for piece in [0, 1000] {
                    let wire = compressed(&mut compressor, FrameType::Binary, &message, piece);
                    let events = feed(&mut decoder, &wire, 777);
                    assert_eq!(
                        events,
                        [OwnedEvent::Binary(message.clone())],
                        "{window_bits} {reset} {len} {piece}"
                    );
                    let text = String::from_utf8(message.clone()).unwrap();
                    let wire = compressed(&mut compressor, FrameType::Text, &message, piece);
                    assert_eq!(
                        feed(&mut decoder, &wire, usize::MAX),
                        [OwnedEvent::Text(text)]
                    );
                }
            }
            assert_eq!(decoder.error(), None);
            assert!(decoder.deflate_memory() <= 1 << window_bits);
            assert!(compressor.memory() <= 1 << window_bits);
        }
    }
}

#[test]
fn context_takeover_makes_a_repeated_message_small() {
    let message = sample(2000, 7);
    let mut keeps = MessageCompressor::new(settings(15), false);
    let mut resets = MessageCompressor::new(settings(15), true);
    let first = keeps.compress(&message);
    let again = keeps.compress(&message);
    assert!(
        again.len() < 40 && again.len() * 10 < first.len(),
        "{} then {}",
        first.len(),
        again.len()
    );
    assert_eq!(resets.compress(&message), resets.compress(&message));
}

#[test]
fn what_compressing_would_grow_is_left_out_of_both_windows() {
    // Bytes that do not compress (a xorshift stream): the message goes out as it is, and the
    // next compressed one must inflate with a window that never saw it.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..70_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    let quick = DeflateSettings::new(1, 15, 8).unwrap();
    for reset in [false, true] {
        let mut compressor = MessageCompressor::new(quick, reset);
        let mut decoder = decoder(15, reset, 1 << 20);
        let text = sample(5000, 3);
        let mut left_as_is = 0;
        for message in [&text, &noise, &text, &noise, &text] {
            if let Some(payload) = compressor.compress_if_smaller(message) {
                assert!(payload.len() < message.len());
                let wire = frame(FrameType::Binary, true, RSV1, &payload);
                assert_eq!(
                    feed(&mut decoder, &wire, 1000),
                    [OwnedEvent::Binary(message.clone())]
                );
            } else {
                assert_eq!(message, &noise, "only the noise is left uncompressed");
                left_as_is += 1;
            }
        }
        assert_eq!(left_as_is, 2);
        assert_eq!(compressor.compress_if_smaller(b""), None);
        assert_eq!(decoder.error(), None);
    }
}

#[test]
fn compressors_that_take_each_others_contexts_stay_in_step() {
    // Two sessions with the same settings borrow from one pool: each message may find its
    // context taken, reset and primed with the history, and must still inflate as if dedicated.
    let mut sessions: Vec<(MessageCompressor, FrameDecoder)> = (0..3)
        .map(|_| {
            (
                MessageCompressor::new(settings(10), false),
                decoder(10, false, 1 << 20),
            )
        })
        .collect();
    for round in 0..40u64 {
        for (at, (compressor, decoder)) in sessions.iter_mut().enumerate() {
            if (round + at as u64) % 3 == 0 {
                continue;
            }
            let message = sample(100 + (round as usize * 97) % 3000, round * 7 + at as u64);
            let wire = compressed(
                compressor,
                FrameType::Binary,
                &message,
                (round % 2) as usize * 500,
            );
            assert_eq!(feed(decoder, &wire, 300), [OwnedEvent::Binary(message)]);
        }
    }
}

#[test]
fn the_rfc_7692_examples_decode() {
    let table: &[(&[u8], &[&str])] = &[
        // §7.2.3.1: "Hello" in one compressed frame.
        (
            &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            &["Hello"],
        ),
        // §7.2.3.1: the same split over two frames, RSV1 on the first only.
        (
            &[
                0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
            ],
            &["Hello"],
        ),
        // §7.2.3.2: the second message refers back to the first (context takeover).
        (
            &[
                0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11,
                0x00, 0x00,
            ],
            &["Hello", "Hello"],
        ),
        // §7.2.3.3: a stored (uncompressed) block.
        (
            &[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            &["Hello"],
        ),
        // §7.2.3.4: a final block; the next message starts afresh from the same window.
        (
            &[
                0xc1, 0x07, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x07, 0xf2, 0x48, 0xcd,
                0xc9, 0xc9, 0x07, 0x00,
            ],
            &["Hello", "Hello"],
        ),
        // §7.2.3.6: an empty message.
        (&[0xc1, 0x01, 0x00], &[""]),
    ];
    for (wire, texts) in table {
        let mut decoder = FrameDecoder::new(true, 1 << 20, true, 0);
        decoder
            .enable_deflate(MessageInflater::new(15, false))
            .unwrap();
        let expected: Vec<OwnedEvent> = texts
            .iter()
            .map(|t| OwnedEvent::Text((*t).into()))
            .collect();
        for cut in [1, 3, wire.len()] {
            let mut decoder = FrameDecoder::new(true, 1 << 20, true, 0);
            decoder
                .enable_deflate(MessageInflater::new(15, false))
                .unwrap();
            assert_eq!(
                feed(&mut decoder, wire, cut),
                expected,
                "{wire:x?} cut {cut}"
            );
            assert_eq!(decoder.error(), None);
        }
        drop(decoder);
    }
}

fn error_after(decoder: &mut FrameDecoder, wire: &[u8]) -> (Vec<OwnedEvent>, Option<WsError>) {
    let events = feed(decoder, wire, usize::MAX);
    (events, decoder.error())
}

#[test]
fn rsv1_is_allowed_only_on_the_first_frame_of_a_negotiated_message() {
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let rsv1 = Some(WsError::ReservedBitsSet { bits: RSV1 });
    // Without the extension.
    let mut plain = FrameDecoder::new(false, 1 << 20, true, 0);
    assert_eq!(
        error_after(&mut plain, &frame(FrameType::Text, true, RSV1, &hello)).1,
        rsv1
    );
    // On a continuation.
    let mut wire = frame(FrameType::Text, false, RSV1, &hello[..3]);
    wire.extend(frame_continuation(true, RSV1, &hello[3..]));
    assert_eq!(error_after(&mut decoder(15, false, 1 << 20), &wire).1, rsv1);
    // On a control frame.
    let ping = frame(FrameType::Ping, true, RSV1, b"");
    assert_eq!(error_after(&mut decoder(15, false, 1 << 20), &ping).1, rsv1);
    assert_eq!(WsError::ReservedBitsSet { bits: RSV1 }.close_code(), 1002);
}

/// A continuation frame with the RSV bits given (which the encoder would never write).
fn frame_continuation(fin: bool, rsv: u8, payload: &[u8]) -> Vec<u8> {
    let mut wire = frame(FrameType::Binary, fin, rsv, payload);
    wire[0] &= 0xF0;
    wire
}

#[test]
fn uncompressed_messages_pass_between_compressed_ones() {
    let mut compressor = MessageCompressor::new(settings(12), false);
    let mut decoder = decoder(12, false, 1 << 20);
    let first = sample(500, 1);
    let mut wire = compressed(&mut compressor, FrameType::Binary, &first, 0);
    wire.extend(frame(FrameType::Binary, true, 0, b"plain"));
    wire.extend(frame(FrameType::Ping, true, 0, b"p"));
    wire.extend(compressed(&mut compressor, FrameType::Binary, &first, 200));
    let events = feed(&mut decoder, &wire, 64);
    let ping = OwnedEvent::Frame {
        frame_type: FrameType::Ping,
        fin: true,
        rsv: 0,
        data: b"p".to_vec(),
    };
    let expected = [
        OwnedEvent::Binary(first.clone()),
        OwnedEvent::Binary(b"plain".to_vec()),
        ping,
        OwnedEvent::Binary(first),
    ];
    assert_eq!(events, expected);
}

#[test]
fn other_extension_bits_stay_on_the_inflated_message() {
    let mut decoder = FrameDecoder::new(false, 1 << 20, true, RSV2);
    decoder
        .enable_deflate(MessageInflater::new(15, false))
        .unwrap();
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let events = feed(
        &mut decoder,
        &frame(FrameType::Text, true, RSV1 | RSV2, &hello),
        100,
    );
    let expected = OwnedEvent::Frame {
        frame_type: FrameType::Text,
        fin: true,
        rsv: RSV2,
        data: b"Hello".to_vec(),
    };
    assert_eq!(events, [expected]);
}

#[test]
fn a_compression_bomb_stops_at_the_limit() {
    let zeros = vec![0u8; 64 << 20];
    let mut compressor = MessageCompressor::new(settings(15), false);
    let wire = compressed(&mut compressor, FrameType::Binary, &zeros, 0);
    assert!(wire.len() < 128 << 10, "{} bytes on the wire", wire.len());
    let max = 1 << 20;
    let mut decoder = decoder(15, false, max);
    let started = std::time::Instant::now();
    let (events, error) = error_after(&mut decoder, &wire);
    assert_eq!(
        (events, error),
        (
            vec![],
            Some(WsError::DecompressedTooBig { max: max as u64 })
        )
    );
    assert_eq!(error.unwrap().close_code(), 1009);
    assert_eq!(decoder.buffered(), 0, "the output is dropped");
    // Inflating the limit takes well under a second even unoptimised; 64 MiB would take far more.
    assert!(started.elapsed().as_secs() < 2);
}

#[test]
fn compressed_bytes_count_against_the_limit_too() {
    let mut compressor = MessageCompressor::new(DeflateSettings::new(0, 15, 8).unwrap(), false);
    let noise: Vec<u8> = (0..3000u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let wire = compressed(&mut compressor, FrameType::Binary, &noise, 1000);
    let (_, error) = error_after(&mut decoder(15, false, 2500), &wire);
    assert!(
        matches!(error, Some(WsError::MessageTooBig { max: 2500, .. })),
        "{error:?}"
    );
}

#[test]
fn corrupt_or_unterminated_data_fails_with_1002() {
    let table: &[&[u8]] = &[
        // BTYPE 11 is reserved.
        &[0xff, 0xff, 0xff],
        // "Hello" cut inside its block: the tail cannot end it.
        &[0xf2, 0x48, 0xcd],
        // A distance before the start of the window (made against a dictionary we lack).
        &[0xca, 0xc0, 0x2e, 0x0c, 0x00],
    ];
    for payload in table {
        let (events, error) = error_after(
            &mut decoder(15, false, 1 << 20),
            &frame(FrameType::Binary, true, RSV1, payload),
        );
        assert_eq!(
            (events, error),
            (vec![], Some(WsError::InvalidCompressedData)),
            "{payload:x?}"
        );
        assert_eq!(WsError::InvalidCompressedData.close_code(), 1002);
    }
}

#[test]
fn invalid_utf8_inside_compressed_text_fails_with_1007() {
    let mut compressor = MessageCompressor::new(settings(15), false);
    let mut bad = sample(5000, 3);
    bad[4000] = 0xff;
    let wire = compressed(&mut compressor, FrameType::Text, &bad, 1000);
    let (events, error) = error_after(&mut decoder(15, false, 1 << 20), &wire);
    assert_eq!((events, error), (vec![], Some(WsError::InvalidUtf8)));
    // A code point split across two inflated pieces is fine.
    let text = "é".repeat(3000);
    let mut compressor = MessageCompressor::new(settings(15), false);
    let wire = compressed(&mut compressor, FrameType::Text, text.as_bytes(), 999);
    let mut decoder = decoder(15, false, 1 << 20);
    assert_eq!(feed(&mut decoder, &wire, 1), [OwnedEvent::Text(text)]);
}

#[test]
fn raw_mode_cannot_inflate() {
    let mut raw = FrameDecoder::new(false, 1 << 20, false, 0);
    let err = raw
        .enable_deflate(MessageInflater::new(15, false))
        .unwrap_err();
    assert_eq!(err, crate::ws::UsageError::DeflateNeedsMessages);
}

#[test]
fn settings_are_checked() {
    assert!(DeflateSettings::new(-1, 9, 1).is_ok());
    assert!(DeflateSettings::new(9, 15, 9).is_ok());
    for (level, window_bits, mem_level, setting) in [
        (10, 12, 8, Level),
        (-2, 12, 8, Level),
        (6, 8, 8, WindowBits),
        (6, 16, 8, WindowBits),
        (6, 12, 0, MemLevel),
        (6, 12, 10, MemLevel),
    ] {
        assert_eq!(
            DeflateSettings::new(level, window_bits, mem_level),
            Err(crate::ws::UsageError::DeflateSettingOutOfRange { setting })
        );
    }
}

#[test]
fn what_fails_first_in_the_stream_is_reported_however_it_is_split() {
    // Invalid text, then data that is not DEFLATE: the text comes first, so 1007 either way.
    let mut compressor = MessageCompressor::new(settings(15), false);
    let mut payload = compressor.compress_fragment(b"ok \xff", false);
    payload.extend_from_slice(&[0xff, 0xff, 0xff]);
    let wire = frame(FrameType::Text, true, RSV1, &payload);
    for cut in [1, 7, wire.len()] {
        let mut decoder = decoder(15, false, 1 << 20);
        let events = feed(&mut decoder, &wire, cut);
        assert_eq!(
            (events, decoder.error()),
            (vec![], Some(WsError::InvalidUtf8)),
            "cut {cut}"
        );
    }
}
