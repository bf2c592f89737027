//! Tests of `decoder`: one per rule with its close code, then modes, memory and split invariance.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::event::OwnedEvent;
use crate::ws::header::{LEN_16, LEN_64, RSV1};
use crate::ws::mask::apply_mask;

const KEY: [u8; 4] = [0xA1, 0xB2, 0xC3, 0xD4];
const MAX: usize = 1 << 20;

/// A frame from its first header byte (FIN | RSV | opcode), written by hand so that invalid
/// headers can be built too; masked with `KEY` when `masked`.
fn wire(b0: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut out = vec![b0];
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=65535 => {
            out.push(mask_bit | LEN_16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | LEN_64);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mut body = payload.to_vec();
    if masked {
        out.extend_from_slice(&KEY);
        apply_mask(&mut body, KEY);
    }
    out.extend(body);
    out
}

/// A frame as a client sends it (masked), for a server to decode.
fn from_client(b0: u8, payload: &[u8]) -> Vec<u8> {
    wire(b0, payload, true)
}

fn concat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

fn text(s: &str) -> OwnedEvent {
    OwnedEvent::Text(s.into())
}

fn binary(data: &[u8]) -> OwnedEvent {
    OwnedEvent::Binary(data.to_vec())
}

fn frame(frame_type: FrameType, fin: bool, data: &[u8]) -> OwnedEvent {
    OwnedEvent::Frame {
        frame_type,
        fin,
        rsv: 0,
        data: data.to_vec(),
    }
}

type Outcome = (Vec<OwnedEvent>, Option<WsError>);

fn feed_chunks(decoder: &mut FrameDecoder, chunks: &[&[u8]]) -> Outcome {
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut events).unwrap();
    }
    (events, decoder.error())
}

fn server(input: &[u8]) -> Outcome {
    feed_chunks(&mut FrameDecoder::new(false, MAX, true, 0), &[input])
}

fn client(input: &[u8]) -> Outcome {
    feed_chunks(&mut FrameDecoder::new(true, MAX, true, 0), &[input])
}

fn server_raw(input: &[u8]) -> Outcome {
    feed_chunks(&mut FrameDecoder::new(false, MAX, false, 0), &[input])
}

fn fails_with(outcome: &Outcome, err: WsError, close_code: u16) {
    assert_eq!(outcome.1, Some(err));
    assert_eq!(err.close_code(), close_code);
}

#[test]
fn a_masked_text_frame_becomes_a_str() {
    assert_eq!(
        server(&from_client(0x81, b"Hello")),
        (vec![text("Hello")], None)
    );
}

#[test]
fn an_unmasked_frame_at_a_client_is_read_as_is() {
    assert_eq!(
        client(&wire(0x82, b"\x00\xff", false)),
        (vec![binary(b"\x00\xff")], None)
    );
}

#[test]
fn all_three_length_encodings_decode() {
    for len in [0usize, 125, 126, 65535, 65536, 70000] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        assert_eq!(
            server(&from_client(0x82, &payload)),
            (vec![binary(&payload)], None),
            "{len}"
        );
    }
}

#[test]
fn rsv_bits_without_an_extension_fail_with_1002() {
    for b0 in [0xC1u8, 0xA2, 0x91] {
        let outcome = server(&from_client(b0, b"x"));
        fails_with(
            &outcome,
            WsError::ReservedBitsSet {
                bits: (b0 >> 4) & 7,
            },
            1002,
        );
    }
}

#[test]
fn unknown_opcodes_fail_with_1002() {
    fails_with(
        &server(&from_client(0x83, b"")),
        WsError::UnknownOpcode { opcode: 3 },
        1002,
    );
    fails_with(
        &server(&from_client(0x8B, b"")),
        WsError::UnknownOpcode { opcode: 0xB },
        1002,
    );
}

#[test]
fn fragmented_control_frames_fail_with_1002() {
    fails_with(
        &server(&from_client(0x09, b"")),
        WsError::ControlFrameFragmented,
        1002,
    );
}

#[test]
fn control_frames_over_125_bytes_fail_with_1002() {
    let outcome = server(&from_client(0x8A, &[0; 126]));
    fails_with(&outcome, WsError::ControlFrameTooLong { size: 126 }, 1002);
}

#[test]
fn a_continuation_without_a_message_fails_with_1002() {
    fails_with(
        &server(&from_client(0x80, b"x")),
        WsError::UnexpectedContinuation,
        1002,
    );
}

#[test]
fn a_new_data_frame_inside_a_message_fails_with_1002() {
    let input = concat(&[from_client(0x01, b"a"), from_client(0x82, b"b")]);
    fails_with(&server(&input), WsError::MessageNotFinished, 1002);
}

#[test]
fn unmasked_frames_at_a_server_fail_with_1002() {
    fails_with(
        &server(&wire(0x81, b"x", false)),
        WsError::UnmaskedClientFrame,
        1002,
    );
}

#[test]
fn masked_frames_at_a_client_fail_with_1002() {
    fails_with(
        &client(&wire(0x81, b"x", true)),
        WsError::MaskedServerFrame,
        1002,
    );
}

#[test]
fn non_minimal_lengths_fail_with_1002() {
    let mut short_as_16 = vec![0x82, 0x80 | LEN_16, 0, 5];
    short_as_16.extend_from_slice(&KEY);
    fails_with(&server(&short_as_16), WsError::NonMinimalLength, 1002);
    let mut short_as_64 = vec![0x82, 0x80 | LEN_64, 0, 0, 0, 0, 0, 0, 1, 0];
    short_as_64.extend_from_slice(&KEY);
    fails_with(&server(&short_as_64), WsError::NonMinimalLength, 1002);
}

#[test]
fn a_64_bit_length_with_the_top_bit_set_fails_with_1002() {
    let mut input = vec![0x82, 0x80 | LEN_64, 0x80, 0, 0, 0, 0, 0, 0, 0];
    input.extend_from_slice(&KEY);
    fails_with(&server(&input), WsError::LengthOverflow, 1002);
}

#[test]
fn a_one_byte_close_payload_fails_with_1002() {
    fails_with(
        &server(&from_client(0x88, b"\x03")),
        WsError::CloseFrameTooShort,
        1002,
    );
}

#[test]
fn invalid_close_codes_fail_with_1002() {
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let outcome = server(&from_client(0x88, &code.to_be_bytes()));
        fails_with(&outcome, WsError::InvalidCloseCode { code }, 1002);
    }
    for code in [1000u16, 1003, 1007, 1014, 3000, 4999] {
        let (events, error) = server(&from_client(0x88, &code.to_be_bytes()));
        assert_eq!((events.len(), error), (1, None), "{code}");
    }
}

#[test]
fn invalid_utf8_in_a_text_message_fails_with_1007() {
    fails_with(
        &server(&from_client(0x81, b"ok\xff")),
        WsError::InvalidUtf8,
        1007,
    );
    // A character cut at the end of the message.
    fails_with(
        &server(&from_client(0x81, b"ok\xe2\x82")),
        WsError::InvalidUtf8,
        1007,
    );
}

#[test]
fn utf8_is_checked_across_fragments() {
    // "€" split over two fragments is fine; a fragment ending a message mid-character is not.
    let split = concat(&[from_client(0x01, b"\xe2\x82"), from_client(0x80, b"\xac!")]);
    assert_eq!(server(&split), (vec![text("€!")], None));
    let cut = concat(&[from_client(0x01, b"a\xe2"), from_client(0x80, b"\x82")]);
    fails_with(&server(&cut), WsError::InvalidUtf8, 1007);
    let raw = server_raw(&split);
    assert_eq!(raw.0.len(), 2, "raw mode hands out both fragments");
    fails_with(&server_raw(&cut), WsError::InvalidUtf8, 1007);
}

#[test]
fn invalid_utf8_in_a_close_reason_fails_with_1007() {
    fails_with(
        &server(&from_client(0x88, b"\x03\xe8\xc0\xaf")),
        WsError::InvalidUtf8,
        1007,
    );
}

#[test]
fn bad_utf8_fails_fast_before_the_frame_is_complete() {
    // Autobahn 6.4.x: the first bad byte fails the frame while the rest is still to come.
    let mut payload = "κόσμε".as_bytes().to_vec();
    let bad_at = payload.len();
    payload.extend_from_slice(b"\xf4\x90\x80\x80");
    payload.extend_from_slice(&[b'a'; 1000]);
    for (b0, masked) in [(0x81, true), (0x01, true), (0x88, true)] {
        let mut body = payload.clone();
        if b0 == 0x88 {
            body.truncate(100);
            body.splice(0..0, [0x03, 0xe8]);
        }
        let input = wire(b0, &body, masked);
        let header_len = input.len() - body.len();
        let offset = if b0 == 0x88 { 2 } else { 0 };
        let mut decoder = FrameDecoder::new(false, MAX, true, 0);
        let cut = header_len + offset + bad_at + 2;
        let outcome = feed_chunks(&mut decoder, &[&input[..cut - 1]]);
        assert_eq!(outcome, (vec![], None), "valid so far ({b0:#x})");
        let outcome = feed_chunks(&mut decoder, &[&input[cut - 1..cut]]);
        fails_with(&outcome, WsError::InvalidUtf8, 1007);
    }
}

#[test]
fn a_frame_over_the_limit_fails_with_1009_from_its_header() {
    let mut decoder = FrameDecoder::new(false, 1000, true, 0);
    let input = from_client(0x82, &[0; 1001]);
    let outcome = feed_chunks(&mut decoder, &[&input[..8]]);
    fails_with(
        &outcome,
        WsError::FrameTooBig {
            size: 1001,
            max: 1000,
        },
        1009,
    );
    assert!(WsError::FrameTooBig {
        size: 1001,
        max: 1000
    }
    .is_too_big());
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn a_message_over_the_limit_fails_with_1009_from_the_fragment_header() {
    let input = concat(&[
        from_client(0x02, &[1; 600]),
        from_client(0x89, b"ping"),
        from_client(0x80, &[2; 401]),
    ]);
    let mut decoder = FrameDecoder::new(false, 1000, true, 0);
    let (events, error) = feed_chunks(&mut decoder, &[&input]);
    assert_eq!(events, [frame(FrameType::Ping, true, b"ping")]);
    assert_eq!(
        error,
        Some(WsError::MessageTooBig {
            size: 1001,
            max: 1000
        })
    );
    // Raw mode limits frames only: it keeps no message.
    let mut raw = FrameDecoder::new(false, 1000, false, 0);
    assert_eq!(feed_chunks(&mut raw, &[&input]).0.len(), 3);
}

#[test]
fn the_limit_can_change_between_frames() {
    let mut decoder = FrameDecoder::new(false, 10, true, 0);
    decoder.set_max_frame_size(20);
    assert_eq!(decoder.max_frame_size(), 20);
    let (events, error) = feed_chunks(&mut decoder, &[&from_client(0x82, &[0; 20])]);
    assert_eq!((events.len(), error), (1, None));
}

#[test]
fn a_huge_frame_is_not_reserved_up_front() {
    let mut decoder = FrameDecoder::new(false, 1 << 30, true, 0);
    let mut head = vec![0x82, 0x80 | LEN_64];
    head.extend_from_slice(&(64u64 << 20).to_be_bytes());
    head.extend_from_slice(&KEY);
    head.extend_from_slice(&[0; 100]);
    feed_chunks(&mut decoder, &[&head]);
    assert_eq!(decoder.buffered(), 100);
    assert!(
        decoder.data.capacity() < 4096,
        "only what arrived is stored"
    );
}

#[test]
fn events_before_a_violation_are_returned_and_the_error_sticks() {
    let input = concat(&[
        from_client(0x81, b"one"),
        from_client(0x89, b""),
        from_client(0xC1, b""),
    ]);
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let (events, error) = feed_chunks(&mut decoder, &[&input]);
    assert_eq!(events, [text("one"), frame(FrameType::Ping, true, b"")]);
    assert_eq!(error, Some(WsError::ReservedBitsSet { bits: RSV1 }));
    let later = feed_chunks(&mut decoder, &[&from_client(0x81, b"two")]);
    assert_eq!(later, (vec![], error));
}

#[test]
fn input_after_a_close_frame_is_ignored() {
    let input = concat(&[
        from_client(0x88, b"\x03\xe8bye"),
        from_client(0x81, b"late"),
    ]);
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let (events, error) = feed_chunks(&mut decoder, &[&input, b"\xff\xff"]);
    assert_eq!(
        (events, error),
        (vec![frame(FrameType::Close, true, b"\x03\xe8bye")], None)
    );
    assert!(decoder.is_closed());
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn control_frames_interleave_with_fragments() {
    let input = concat(&[
        from_client(0x01, b"Hel"),
        from_client(0x89, b"p"),
        from_client(0x00, b"lo, "),
        from_client(0x8A, b""),
        from_client(0x80, b"world"),
    ]);
    let expected = vec![
        frame(FrameType::Ping, true, b"p"),
        frame(FrameType::Pong, true, b""),
        text("Hello, world"),
    ];
    assert_eq!(server(&input), (expected, None));
}

#[test]
fn raw_mode_relabels_continuations_with_the_message_type() {
    let input = concat(&[
        from_client(0x02, b"a"),
        from_client(0x89, b""),
        from_client(0x80, b"b"),
    ]);
    let expected = vec![
        frame(FrameType::Binary, false, b"a"),
        frame(FrameType::Ping, true, b""),
        frame(FrameType::Binary, true, b"b"),
    ];
    assert_eq!(server_raw(&input), (expected, None));
}

#[test]
fn negotiated_rsv_bits_surface_on_the_message_frame_without_utf8_checks() {
    let input = concat(&[from_client(0x41, b"\xff"), from_client(0x80, b"\xfe")]);
    let mut decoder = FrameDecoder::new(false, MAX, true, RSV1);
    let (events, error) = feed_chunks(&mut decoder, &[&input]);
    let expected = OwnedEvent::Frame {
        frame_type: FrameType::Text,
        fin: true,
        rsv: RSV1,
        data: vec![0xff, 0xfe],
    };
    assert_eq!((events, error), (vec![expected], None));
    let mut raw = FrameDecoder::new(false, MAX, false, RSV1);
    let (events, error) = feed_chunks(&mut raw, &[&input]);
    assert_eq!(error, None);
    assert!(matches!(
        events[0],
        OwnedEvent::Frame {
            rsv: RSV1,
            fin: false,
            ..
        }
    ));
}

#[test]
fn empty_buffers_are_released_after_a_large_message() {
    let big = from_client(0x81, &vec![b'x'; 100_000]);
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let (events, _) = feed_chunks(&mut decoder, &[&big[..50_000], &big[50_000..]]);
    assert_eq!(events.len(), 1);
    assert_eq!(decoder.buffered(), 0);
    assert_eq!(decoder.data.capacity(), 0);
}

#[test]
fn an_idle_decoder_is_small() {
    // No inline buffer for control frames: they are unmasked on the stack or, in pieces, at
    // the end of `data`.
    assert!(std::mem::size_of::<FrameDecoder>() <= 200);
}

#[test]
fn whole_text_and_control_frames_leave_no_buffer_behind() {
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let input = concat(&[
        from_client(0x81, &[b'a'; 1024]),
        from_client(0x89, &[b'p'; 125]),
        from_client(0x8A, b"pong"),
        from_client(0x81, "héllo".as_bytes()),
    ]);
    let (events, error) = feed_chunks(&mut decoder, &[&input]);
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            text(&"a".repeat(1024)),
            frame(FrameType::Ping, true, &[b'p'; 125]),
            frame(FrameType::Pong, true, b"pong"),
            text("héllo"),
        ]
    );
    assert_eq!(decoder.data.capacity(), 0);
}

#[test]
fn a_control_frame_in_pieces_inside_a_fragmented_message_keeps_the_message_bytes_in_order() {
    let input = concat(&[
        from_client(0x01, "hé".as_bytes()),
        from_client(0x89, b"ping payload"),
        from_client(0x00, "llo ".as_bytes()),
        from_client(0x88, b"\x03\xe8bye"),
    ]);
    // One byte per read: every frame, the Ping and the Close included, arrives in pieces.
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let (events, error) = feed_chunks(&mut decoder, &bytes);
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            frame(FrameType::Ping, true, b"ping payload"),
            frame(FrameType::Close, true, b"\x03\xe8bye"),
        ]
    );
    // The Close came before the message's final frame: the message never completed.
    let unfinished = concat(&[
        from_client(0x01, b"one "),
        from_client(0x8A, b"pong"),
        from_client(0x00, b"two "),
        from_client(0x89, b""),
        from_client(0x80, b"three"),
    ]);
    for size in [1, 2, 3, 5, 7] {
        let pieces: Vec<&[u8]> = unfinished.chunks(size).collect();
        let mut decoder = FrameDecoder::new(false, MAX, true, 0);
        let (events, error) = feed_chunks(&mut decoder, &pieces);
        assert_eq!(error, None);
        assert_eq!(
            events,
            vec![
                frame(FrameType::Pong, true, b"pong"),
                frame(FrameType::Ping, true, b""),
                text("one two three"),
            ],
            "pieces of {size}"
        );
        assert_eq!(decoder.buffered(), 0);
    }
}

#[test]
fn a_bad_close_reason_in_pieces_fails_and_one_whole_fails_alike() {
    let close = from_client(0x88, b"\x03\xe8ok\xff");
    let pieces: Vec<&[u8]> = close.chunks(1).collect();
    let whole = server(&close);
    let in_pieces = feed_chunks(&mut FrameDecoder::new(false, MAX, true, 0), &pieces);
    fails_with(&whole, WsError::InvalidUtf8, 1007);
    assert_eq!(whole, in_pieces);
    let bad_code = from_client(0x88, b"\x03\xedbye"); // 1005 is never sent
    let pieces: Vec<&[u8]> = bad_code.chunks(1).collect();
    let in_pieces = feed_chunks(&mut FrameDecoder::new(false, MAX, true, 0), &pieces);
    fails_with(&in_pieces, WsError::InvalidCloseCode { code: 1005 }, 1002);
    assert_eq!(server(&bad_code), in_pieces);
}

#[test]
fn messages_after_the_buffer_was_released_arrive_whole_however_they_are_split() {
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let small_text = "small, after an idle spell".repeat(3);
    let input = concat(&[
        from_client(0x82, &big),
        from_client(0x81, small_text.as_bytes()),
        from_client(0x89, b"are you there"),
        from_client(0x82, &big),
        from_client(0x81, &[b'z'; 2000]),
    ]);
    let expected = vec![
        binary(&big),
        text(&small_text),
        frame(FrameType::Ping, true, b"are you there"),
        binary(&big),
        text(&"z".repeat(2000)),
    ];
    for size in [1, 13, 1000, 40_000, 99_999] {
        let pieces: Vec<&[u8]> = input.chunks(size).collect();
        let mut decoder = FrameDecoder::new(false, MAX, true, 0);
        let mut events = Vec::new();
        for piece in pieces {
            decoder.feed(piece, &mut events).unwrap();
            // Between reads the buffer holds only what is still unfinished.
            assert!(decoder.data.capacity() <= IDLE_BUFFER_CAPACITY || decoder.buffered() > 0);
        }
        assert_eq!(events, expected, "pieces of {size}");
        assert_eq!(decoder.error(), None);
        assert_eq!(decoder.buffered(), 0);
    }
}

/// Inputs covering every kind of event and every kind of failure, for both roles.
fn vectors() -> Vec<(bool, Vec<u8>)> {
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let server_side = [
        concat(&[
            from_client(0x81, "héllo".as_bytes()),
            from_client(0x82, &big),
        ]),
        concat(&[
            from_client(0x01, b"\xe2"),
            from_client(0x89, b"ping"),
            from_client(0x00, b"\x82"),
            from_client(0x80, b"\xac"),
            from_client(0x88, b"\x03\xe8done"),
        ]),
        concat(&[
            from_client(0x82, &big[..300]),
            from_client(0x81, b"a\xc3\x28"),
        ]),
        concat(&[from_client(0x81, b"x"), from_client(0x88, b"\x03\xe8\xff")]),
        concat(&[from_client(0x02, b"a"), from_client(0x81, b"b")]),
        concat(&[from_client(0x8A, b""), wire(0x81, b"unmasked", false)]),
        concat(&[from_client(0x81, b""), from_client(0x88, b"")]),
    ];
    let client_side = [
        concat(&[
            wire(0x81, b"hi", false),
            wire(0x02, &big[..200], false),
            wire(0x80, b"", false),
        ]),
        concat(&[wire(0x89, b"", false), wire(0x81, b"masked", true)]),
    ];
    let mut all: Vec<(bool, Vec<u8>)> = server_side.into_iter().map(|v| (false, v)).collect();
    all.extend(client_side.into_iter().map(|v| (true, v)));
    all
}

#[test]
fn any_split_gives_the_same_events_and_error() {
    for reassemble in [true, false] {
        for (client, input) in vectors() {
            let whole = feed_chunks(
                &mut FrameDecoder::new(client, MAX, reassemble, 0),
                &[&input],
            );
            // Every single split point, plus byte at a time, on short inputs; strided on long ones.
            let step = if input.len() > 2000 { 97 } else { 1 };
            for at in (0..=input.len()).step_by(step) {
                let mut decoder = FrameDecoder::new(client, MAX, reassemble, 0);
                let split = feed_chunks(&mut decoder, &[&input[..at], &input[at..]]);
                assert_eq!(split, whole, "split at {at}, reassemble {reassemble}");
            }
            if input.len() <= 2000 {
                let bytes: Vec<&[u8]> = input.chunks(1).collect();
                let mut decoder = FrameDecoder::new(client, MAX, reassemble, 0);
                assert_eq!(feed_chunks(&mut decoder, &bytes), whole, "byte at a time");
            }
        }
    }
}

#[test]
fn every_split_of_every_short_vector_around_each_frame_boundary() {
    // Two cuts: the second inside whatever frame the first one left unfinished.
    for (client, input) in vectors().into_iter().filter(|(_, v)| v.len() <= 200) {
        let whole = feed_chunks(&mut FrameDecoder::new(client, MAX, true, 0), &[&input]);
        for a in 0..=input.len() {
            for b in a..=input.len() {
                let chunks = [&input[..a], &input[a..b], &input[b..]];
                let got = feed_chunks(&mut FrameDecoder::new(client, MAX, true, 0), &chunks);
                assert_eq!(got, whole, "cuts at {a} and {b}");
            }
        }
    }
}

// --- handing a Binary frame over ---------------------------------------------------------------

#[test]
fn a_partly_received_binary_frame_is_handed_over_with_its_payload_so_far_and_the_rotated_key() {
    let payload: Vec<u8> = (0..=255).cycle().take(1000).collect();
    let wire = from_client(0x82, &payload);
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let header_len = wire.len() - payload.len();
    let (events, error) = feed_chunks(&mut decoder, &[&wire[..header_len + 301]]);
    assert!(events.is_empty() && error.is_none());
    let pending = decoder.pending_binary().unwrap();
    assert_eq!((pending.len, pending.received), (1000, 301));
    assert_eq!(pending.key, Some(crate::ws::mask::rotate_key(KEY, 301)));

    let mut out = vec![std::mem::MaybeUninit::new(0u8); 301];
    let mut writer = UninitWriter::new(&mut out);
    decoder.hand_over(&mut writer);
    let so_far = writer.finish().unwrap().to_vec();
    assert_eq!(so_far, payload[..301]);
    let mut rest = wire[header_len + 301..].to_vec();
    apply_mask(&mut rest, pending.key.unwrap());
    assert_eq!(rest, payload[301..]);

    // The decoder goes on with the next frame.
    assert_eq!(decoder.pending_binary(), None);
    let (events, error) = feed_chunks(&mut decoder, &[&from_client(0x81, b"next")]);
    assert_eq!((events, error), (vec![text("next")], None));
}

#[test]
fn only_a_whole_binary_message_in_one_frame_can_be_handed_over() {
    let cases: [(u8, bool); 4] = [
        (0x81, true),
        (0x02, true),
        (0x82 | 0x40, true),
        (0x82, false),
    ];
    for (b0, reassemble) in cases {
        let rsv = if b0 & 0x40 != 0 { RSV1 } else { 0 };
        let mut decoder = FrameDecoder::new(false, MAX, reassemble, rsv);
        let wire = from_client(b0, &[7; 200]);
        decoder.feed(&wire[..20], &mut Vec::new()).unwrap();
        assert_eq!(decoder.pending_binary(), None, "first byte {b0:#x}");
    }
}

#[test]
fn a_binary_frame_starting_the_input_is_handed_over_at_its_header() {
    let payload = vec![9u8; 5000];
    let wire = from_client(0x82, &payload);
    let mut decoder = FrameDecoder::new(false, MAX, true, 0);
    let (pending, header_len) = decoder.begin_binary(&wire[..100]).unwrap();
    assert_eq!(
        (pending.len, pending.received, pending.key),
        (5000, 0, Some(KEY))
    );
    assert_eq!(header_len, wire.len() - payload.len());
    // Nothing of the frame stays with the decoder, which reads the next header next.
    assert_eq!(decoder.buffered(), 0);
    let (events, error) = feed_chunks(&mut decoder, &[&from_client(0x82, b"next")]);
    assert_eq!((events, error), (vec![binary(b"next")], None));
}

#[test]
fn begin_binary_leaves_whole_frames_violations_and_partial_state_to_feed() {
    let mut decoder = FrameDecoder::new(false, 100, true, 0);
    assert_eq!(decoder.begin_binary(&from_client(0x82, b"whole")), None);
    assert_eq!(
        decoder.begin_binary(&from_client(0x82, &[1; 200])[..50]),
        None,
        "too big"
    );
    assert_eq!(
        decoder.begin_binary(&wire(0x82, &[1; 50], false)[..20]),
        None,
        "unmasked"
    );
    decoder
        .feed(&from_client(0x82, &[1; 50])[..1], &mut Vec::new())
        .unwrap();
    assert_eq!(
        decoder.begin_binary(&from_client(0x82, &[1; 50])[..20]),
        None,
        "mid-header"
    );
    assert_eq!(decoder.error(), None);
}
