//! `RequestParser` on arbitrary bytes, cut at arbitrary places.
//!
//! Invariant: whatever the input and limits, parsing yields events and at most one error, never
//! a panic; and feeding it whole, cut at the positions the input chooses, or one byte at a time
//! gives the same events (body bytes joined), error and trailing bytes.
//!
//! Input layout: byte 0 picks the limits, bytes 1..4 pick up to three cut positions, the rest is
//! the stream.

#![no_main]

use _wsrs::http::{Event, HttpError, HttpLimits, RequestHead, RequestParser};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Head(Box<RequestHead>),
    Body(Vec<u8>),
    End(Vec<(String, Vec<u8>)>),
}

type Outcome = (Vec<Seen>, Option<HttpError>, Option<Vec<u8>>);

fn limits(selector: u8) -> HttpLimits {
    let mut limits = HttpLimits::default();
    if selector & 1 == 1 {
        limits = HttpLimits {
            max_request_line_size: 16 + usize::from(selector >> 4),
            max_header_line_size: 12 + usize::from(selector >> 4),
            max_head_size: 48 + 4 * usize::from(selector >> 4),
            max_header_count: usize::from(selector >> 5),
            max_body_size: Some(u64::from(selector >> 2)),
            max_chunk_size_line: 4 + usize::from(selector >> 5),
            max_chunk_extensions_size: usize::from(selector >> 4),
            max_trailer_size: usize::from(selector >> 3),
            allow_bare_lf: false,
        };
    }
    limits.allow_bare_lf = selector & 2 == 2;
    limits
}

fn parse(data: &[u8], cuts: &[usize], limits: HttpLimits) -> Outcome {
    let mut parser = RequestParser::new(limits);
    let mut seen = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&data.len())) {
        let batch = parser.feed(&data[start..end]);
        let body = batch.body;
        for event in batch.events {
            match event {
                Event::Head(head) => seen.push(Seen::Head(head)),
                Event::Body { run } => {
                    let bytes: Vec<u8> = body.slices(run).flatten().copied().collect();
                    if let Some(Seen::Body(last)) = seen.last_mut() {
                        last.extend_from_slice(&bytes);
                    } else {
                        seen.push(Seen::Body(bytes));
                    }
                }
                Event::End(trailers) => seen.push(Seen::End(
                    trailers
                        .iter()
                        .map(|(n, v)| (n.to_owned(), v.to_vec()))
                        .collect(),
                )),
            }
        }
        start = end;
    }
    let trailing = parser.take_trailing();
    let error = match parser.error() {
        Some(error) => Some(error),
        None if trailing.is_none() => parser.feed_eof().err(),
        None => None,
    };
    (seen, error, trailing)
}

fuzz_target!(|input: &[u8]| {
    let Some((&[selector, a, b, c], data)) = input.split_first_chunk::<4>() else {
        return;
    };
    let limits = limits(selector);
    let whole = parse(data, &[], limits);
    let mut cuts: Vec<usize> = [a, b, c]
        .iter()
        .map(|&x| usize::from(x) * data.len() / 256)
        .collect();
    cuts.sort_unstable();
    assert_eq!(parse(data, &cuts, limits), whole, "cut at {cuts:?}");
    if data.len() <= 512 {
        let bytewise: Vec<usize> = (1..data.len()).collect();
        assert_eq!(parse(data, &bytewise, limits), whole, "byte at a time");
    }
});
