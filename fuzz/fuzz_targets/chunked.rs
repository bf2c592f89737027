//! `ChunkedDecoder` on arbitrary bytes, and chunk encoding round trips.
//!
//! Invariant: decoding never panics; the data, error, end and the bytes after the body are the
//! same whether the input comes whole, cut where the input chooses, or one byte at a time; and
//! what `encode_chunk`/`encode_last_chunk` write decodes back to the same data.
//!
//! Input layout: byte 0 picks the limits, bytes 1..3 pick two cut positions, the rest is the wire.

#![no_main]

use _wsrs::http::{encode_chunk, encode_last_chunk, ChunkedDecoder, HttpError, HttpLimits};
use libfuzzer_sys::fuzz_target;

type Outcome = (
    Vec<u8>,
    Option<HttpError>,
    bool,
    Vec<u8>,
    Vec<(String, Vec<u8>)>,
);

fn limits(selector: u8) -> HttpLimits {
    if selector & 1 == 0 {
        return HttpLimits::default();
    }
    HttpLimits {
        max_body_size: Some(u64::from(selector) * 4),
        max_chunk_size_line: 3 + usize::from(selector >> 4),
        max_chunk_extensions_size: usize::from(selector >> 3),
        max_trailer_size: usize::from(selector >> 2),
        ..HttpLimits::default()
    }
}

fn decode(wire: &[u8], cuts: &[usize], limits: HttpLimits) -> Outcome {
    let mut decoder = ChunkedDecoder::new(limits);
    let (mut data, mut trailing, mut error) = (Vec::new(), Vec::new(), None);
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&wire.len())) {
        let read = &wire[start..end];
        start = end;
        if decoder.is_done() {
            trailing.extend_from_slice(read);
            continue;
        }
        match decoder.decode(read, |r| data.extend_from_slice(&read[r])) {
            Ok(used) => trailing.extend_from_slice(&read[used..]),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let trailers = decoder
        .trailers()
        .iter()
        .map(|(n, v)| (n.to_owned(), v.to_vec()))
        .collect();
    (data, error, decoder.is_done(), trailing, trailers)
}

fuzz_target!(|input: &[u8]| {
    let Some((&[selector, a, b], wire)) = input.split_first_chunk::<3>() else {
        return;
    };
    let limits = limits(selector);
    let whole = decode(wire, &[], limits);
    let mut cuts = [
        usize::from(a) * wire.len() / 256,
        usize::from(b) * wire.len() / 256,
    ];
    cuts.sort_unstable();
    assert_eq!(decode(wire, &cuts, limits), whole, "cut at {cuts:?}");
    if wire.len() <= 512 {
        let bytewise: Vec<usize> = (1..wire.len()).collect();
        assert_eq!(decode(wire, &bytewise, limits), whole, "byte at a time");
    }

    let pieces: Vec<&[u8]> = wire.split(|&b| b == b'|').collect();
    let mut encoded: Vec<u8> = pieces.iter().flat_map(|p| encode_chunk(p)).collect();
    encoded.extend_from_slice(&encode_last_chunk(&[("Trailer", "x")]).unwrap_or_default());
    let mut cuts = [
        usize::from(a) * encoded.len() / 256,
        usize::from(b) * encoded.len() / 256,
    ];
    cuts.sort_unstable();
    let (data, error, done, trailing, _) = decode(&encoded, &cuts, HttpLimits::default());
    assert_eq!((error, done, trailing.len()), (None, true, 0));
    assert_eq!(data, pieces.concat());
});
