//! `ChunkedDecoder` on its own and the chunk encoder: round trips, trailers, trailing bytes.

use crate::http::{encode_chunk, encode_last_chunk, ChunkedDecoder, HttpError, HttpLimits};

/// Trailer fields as owned (name, value) pairs.
type Trailers = Vec<(String, Vec<u8>)>;

/// Decodes `input` fed in `pieces`-sized reads: (data, trailers, bytes after the body, error).
fn decode(input: &[u8], piece: usize) -> (Vec<u8>, Trailers, Vec<u8>, Option<HttpError>) {
    let mut decoder = ChunkedDecoder::new(HttpLimits::default());
    let (mut data, mut trailing) = (Vec::new(), Vec::new());
    for read in input.chunks(piece.max(1)) {
        if decoder.is_done() {
            trailing.extend_from_slice(read);
            continue;
        }
        match decoder.decode(read, |r| data.extend_from_slice(&read[r])) {
            Ok(used) => trailing.extend_from_slice(&read[used..]),
            Err(error) => return (data, Vec::new(), trailing, Some(error)),
        }
    }
    let error = (!decoder.is_done()).then_some(HttpError::IncompleteChunkedBody);
    let trailers = decoder
        .trailers()
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_vec()))
        .collect();
    (data, trailers, trailing, error)
}

#[test]
fn round_trip_every_read_size() {
    let payload: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let mut wire = Vec::new();
    for piece in payload.chunks(777) {
        wire.extend_from_slice(&encode_chunk(piece));
    }
    wire.extend_from_slice(&encode_last_chunk(&[("Digest", "x")]).unwrap_or_default());
    wire.extend_from_slice(b"NEXT");
    for read in [1, 2, 3, 7, 64, 1000, wire.len()] {
        let (data, trailers, trailing, error) = decode(&wire, read);
        assert_eq!(error, None, "read size {read}");
        assert_eq!(data, payload, "read size {read}");
        assert_eq!(trailers, [("Digest".to_owned(), b"x".to_vec())]);
        assert_eq!(trailing, b"NEXT");
    }
}

#[test]
fn encoder_writes_lowercase_hex_without_leading_zeros() {
    assert_eq!(encode_chunk(b""), b"");
    assert_eq!(encode_chunk(&[b'a'; 0xab]).get(..4), Some(&b"ab\r\n"[..]));
    assert_eq!(encode_chunk(&[0; 16]).get(..4), Some(&b"10\r\n"[..]));
    assert_eq!(encode_chunk(b"x"), b"1\r\nx\r\n");
}

#[test]
fn each_violation_is_found_at_every_split() {
    let cases: [(&[u8], HttpError); 6] = [
        (b"5\r\nhelloXY0\r\n\r\n", HttpError::ChunkDataNotTerminated),
        (b"5\nhello\r\n0\r\n\r\n", HttpError::BareLineFeed),
        (b"fffffffffffffffff\r\n", HttpError::ChunkSizeOverflow),
        (b"5;\"a\"\r\nhello\r\n", HttpError::InvalidChunkExtension),
        (b"0\r\nA:b\r\nC\r\n\r\n", HttpError::InvalidTrailerField),
        (b"5\r\nhel", HttpError::IncompleteChunkedBody),
    ];
    for (input, expected) in cases {
        for read in 1..=input.len() {
            assert_eq!(
                decode(input, read).3,
                Some(expected),
                "{input:?} in reads of {read}"
            );
        }
    }
}

#[test]
fn size_and_extension_limits_are_cumulative() {
    let limits = HttpLimits {
        max_body_size: Some(10),
        ..HttpLimits::default()
    };
    let mut decoder = ChunkedDecoder::new(limits);
    assert_eq!(decoder.decode(b"6\r\nabcdef\r\n", |_| {}), Ok(11));
    assert_eq!(
        decoder.decode(b"5\r\n", |_| {}),
        Err(HttpError::ContentTooLarge)
    );
}

#[test]
fn a_data_range_never_leaves_the_input() {
    let mut decoder = ChunkedDecoder::new(HttpLimits::default());
    let mut seen = Vec::new();
    assert_eq!(decoder.decode(b"a\r\n0123", |r| seen.push(r)), Ok(7));
    assert_eq!(
        decoder.decode(b"456789\r\n0\r\n\r\n", |r| seen.push(r)),
        Ok(13)
    );
    assert_eq!(seen, [3..7, 0..6]);
    assert!(decoder.is_done());
}
