//! `MultipartScanner` and the Content-Type boundary parser on arbitrary bytes.
//!
//! Invariant: neither ever panics; the scanner's events (adjacent content joined) and its error
//! are the same whether the body comes whole, cut where the input chooses, or one byte at a time;
//! and a body built from the input's `|`-separated pieces scans back to those pieces.
//!
//! Input layout: byte 0 picks the limits and the boundary, bytes 1..3 pick two cut positions, the
//! rest is the body (and, tried on its own, a Content-Type value).

#![no_main]

use _wsrs::http::multipart::{
    boundary_from_content_type, Event, MultipartError, MultipartLimits, MultipartScanner,
};
use libfuzzer_sys::fuzz_target;

const BOUNDARIES: [&[u8]; 4] = [
    b"b",
    b"XYZ",
    b"simple boundary",
    b"----WebKitFormBoundary7MA4YWxkTrZu0gW",
];

/// Events with owned bytes: (kind, bytes), content runs joined.
type Outcome = (Vec<(u8, Vec<u8>)>, Option<MultipartError>);

fn limits(selector: u8) -> MultipartLimits {
    if selector & 4 == 0 {
        return MultipartLimits::default();
    }
    MultipartLimits {
        max_header_line_size: 8 + usize::from(selector >> 3),
        max_header_count: usize::from(selector >> 6),
        max_headers_size: 16 + usize::from(selector >> 2),
        max_parts: usize::from(selector >> 5),
        max_part_size: Some(u64::from(selector >> 4)),
        max_preamble_size: usize::from(selector >> 4),
        max_epilogue_size: usize::from(selector >> 5),
        allow_bare_lf: selector & 8 != 0,
        ..MultipartLimits::default()
    }
}

fn collect(events: Vec<Event<'_>>, out: &mut Vec<(u8, Vec<u8>)>) {
    for event in events {
        let (kind, bytes) = match event {
            Event::Preamble(b) => (0, b),
            Event::PartBegin(head) => (1, head.fields().bytes().to_vec()),
            Event::Data(d) => {
                assert!(!d.is_empty());
                if let Some((2, last)) = out.last_mut() {
                    last.extend_from_slice(&d);
                    continue;
                }
                (2, d.into_owned())
            }
            Event::PartEnd => (3, Vec::new()),
            Event::Epilogue(b) => (4, b),
        };
        out.push((kind, bytes));
    }
}

fn scan(boundary: &[u8], body: &[u8], cuts: &[usize], limits: MultipartLimits) -> Outcome {
    let Ok(mut scanner) = MultipartScanner::new(boundary, limits) else {
        return (Vec::new(), None);
    };
    let mut seen = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&body.len())) {
        let mut events = Vec::new();
        let result = scanner.feed(&body[start..end], &mut events);
        collect(events, &mut seen);
        if let Err(error) = result {
            return (seen, Some(error));
        }
        start = end;
    }
    let mut events = Vec::new();
    let result = scanner.finish(&mut events);
    collect(events, &mut seen);
    (seen, result.err())
}

fuzz_target!(|input: &[u8]| {
    let Some((&[selector, a, b], body)) = input.split_first_chunk::<3>() else {
        return;
    };
    let _ = boundary_from_content_type(body, &MultipartLimits::default());
    let boundary = BOUNDARIES[usize::from(selector & 3)];
    let limits = limits(selector);
    let whole = scan(boundary, body, &[], limits);
    let mut cuts = [
        usize::from(a) * body.len() / 256,
        usize::from(b) * body.len() / 256,
    ];
    cuts.sort_unstable();
    assert_eq!(
        scan(boundary, body, &cuts, limits),
        whole,
        "cut at {cuts:?}"
    );
    if body.len() <= 512 {
        let bytewise: Vec<usize> = (1..body.len()).collect();
        assert_eq!(
            scan(boundary, body, &bytewise, limits),
            whole,
            "byte at a time"
        );
    }

    let boundary = BOUNDARIES[3];
    let pieces: Vec<&[u8]> = body.split(|&b| b == b'|').collect();
    if pieces
        .iter()
        .any(|p| p.windows(boundary.len()).any(|w| w == boundary))
    {
        return;
    }
    let mut wire = Vec::new();
    for piece in &pieces {
        wire.extend_from_slice(b"--");
        wire.extend_from_slice(boundary);
        wire.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n");
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"--");
    wire.extend_from_slice(boundary);
    wire.extend_from_slice(b"--\r\n");
    let unbounded = MultipartLimits {
        max_parts: usize::MAX,
        ..MultipartLimits::default()
    };
    let (events, error) = scan(boundary, &wire, &cuts, unbounded);
    assert_eq!(error, None);
    let mut contents: Vec<Vec<u8>> = Vec::new();
    for (kind, bytes) in events {
        match kind {
            1 => contents.push(Vec::new()),
            2 => contents
                .last_mut()
                .expect("content inside a part")
                .extend_from_slice(&bytes),
            _ => {}
        }
    }
    assert_eq!(contents, pieces);
});
