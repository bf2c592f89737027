//! Helpers shared by the multipart tests: build bodies, feed them in pieces, normalise events.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::http::multipart::{Event, MultipartError, MultipartLimits, MultipartScanner, PartHead};

/// One event with owned bytes, adjacent content joined, so different splits compare equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seen {
    Preamble(Vec<u8>),
    Begin(Box<PartHead>),
    Data(Vec<u8>),
    End,
    Epilogue(Vec<u8>),
}

/// What a scan produced: the events, and the error that stopped it (from `feed` or `finish`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Outcome {
    pub(super) events: Vec<Seen>,
    pub(super) error: Option<MultipartError>,
}

/// A part as the tests read it back: (name, filename, content).
pub(super) type Part = (Option<String>, Option<String>, Vec<u8>);

impl Outcome {
    /// Each part's name, filename and whole content.
    pub(super) fn parts(&self) -> Vec<Part> {
        let mut parts: Vec<Part> = Vec::new();
        for event in &self.events {
            match event {
                Seen::Begin(head) => parts.push((
                    head.name().map(str::to_owned),
                    head.filename().map(str::to_owned),
                    Vec::new(),
                )),
                Seen::Data(data) => {
                    if let Some(last) = parts.last_mut() {
                        last.2.extend_from_slice(data);
                    }
                }
                _ => {}
            }
        }
        parts
    }

    /// The heads of the parts, in order.
    pub(super) fn heads(&self) -> Vec<&PartHead> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Seen::Begin(head) => Some(&**head),
                _ => None,
            })
            .collect()
    }
}

/// Scans `body` cut at `cuts` (ascending offsets), then finishes.
pub(super) fn scan_pieces(
    boundary: &str,
    body: &[u8],
    cuts: &[usize],
    limits: MultipartLimits,
) -> Outcome {
    let mut scanner = match MultipartScanner::new(boundary.as_bytes(), limits) {
        Ok(scanner) => scanner,
        Err(error) => {
            return Outcome {
                events: Vec::new(),
                error: Some(error),
            }
        }
    };
    let mut seen = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&body.len())) {
        let mut events = Vec::new();
        let result = scanner.feed(&body[start..end], &mut events);
        collect(events, &mut seen);
        if let Err(error) = result {
            return Outcome {
                events: seen,
                error: Some(error),
            };
        }
        start = end;
    }
    let mut events = Vec::new();
    let result = scanner.finish(&mut events);
    collect(events, &mut seen);
    Outcome {
        events: seen,
        error: result.err(),
    }
}

fn collect(events: Vec<Event<'_>>, out: &mut Vec<Seen>) {
    for event in events {
        let seen = match event {
            Event::Preamble(bytes) => Seen::Preamble(bytes),
            Event::PartBegin(head) => Seen::Begin(head),
            Event::Data(data) => {
                assert!(!data.is_empty(), "empty Data event");
                if let Some(Seen::Data(last)) = out.last_mut() {
                    last.extend_from_slice(&data);
                    continue;
                }
                Seen::Data(data.into_owned())
            }
            Event::PartEnd => Seen::End,
            Event::Epilogue(bytes) => Seen::Epilogue(bytes),
        };
        out.push(seen);
    }
}

/// Scans `body` whole, cut once at every position (at a stride for long bodies), one byte at a
/// time, and in random pieces; asserts every split gives the same outcome, and returns it.
pub(super) fn scan_every_split(boundary: &str, body: &[u8], limits: MultipartLimits) -> Outcome {
    let whole = scan_pieces(boundary, body, &[], limits);
    let stride = (body.len() / 512).max(1);
    for cut in (1..body.len()).step_by(stride) {
        let split = scan_pieces(boundary, body, &[cut], limits);
        assert_eq!(split, whole, "split at {cut} differs");
    }
    let bytewise: Vec<usize> = (1..body.len()).collect();
    assert_eq!(
        scan_pieces(boundary, body, &bytewise, limits),
        whole,
        "byte-at-a-time differs"
    );
    let mut rng = StdRng::seed_from_u64(body.len() as u64);
    for round in 0..16 {
        let mut cuts: Vec<usize> = (0..rng.random_range(1..8))
            .map(|_| rng.random_range(0..=body.len()))
            .collect();
        cuts.sort_unstable();
        assert_eq!(
            scan_pieces(boundary, body, &cuts, limits),
            whole,
            "random split {round} at {cuts:?} differs"
        );
    }
    whole
}

/// A form-data body: each part is (header lines, content), then the close delimiter and CRLF.
pub(super) fn body(boundary: &str, parts: &[(&[&str], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (headers, content) in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        for header in *headers {
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// A `Content-Disposition: form-data` header line for `name`.
pub(super) fn field(name: &str) -> String {
    format!("Content-Disposition: form-data; name=\"{name}\"")
}
