//! Helpers shared by the HTTP tests: feed input in pieces, normalise what came out.

use crate::http::{Event, HttpError, HttpLimits, RequestHead, RequestParser};

/// One event, with owned body bytes, comparable across different splits of the same input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seen {
    Head(Box<RequestHead>),
    Body(Vec<u8>),
    End(Vec<(String, Vec<u8>)>),
}

/// Everything a parse produced: events with adjacent bodies joined, the error, and the bytes
/// kept after a protocol switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Outcome {
    pub(super) events: Vec<Seen>,
    pub(super) error: Option<HttpError>,
    pub(super) trailing: Option<Vec<u8>>,
}

impl Outcome {
    /// How many requests ended.
    pub(super) fn requests(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Seen::End(_)))
            .count()
    }

    /// The heads, in order.
    pub(super) fn heads(&self) -> Vec<&RequestHead> {
        self.events
            .iter()
            .filter_map(|e| {
                if let Seen::Head(h) = e {
                    Some(&**h)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The body bytes of every request, joined.
    pub(super) fn body(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for event in &self.events {
            if let Seen::Body(b) = event {
                all.extend_from_slice(b);
            }
        }
        all
    }
}

/// Feeds `input` cut at `cuts` (ascending offsets), then signals EOF unless paused.
pub(super) fn parse_pieces(input: &[u8], cuts: &[usize], limits: HttpLimits) -> Outcome {
    let mut parser = RequestParser::new(limits);
    let mut events = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let batch = parser.feed(&input[start..end]);
        collect(batch.body, batch.events, &mut events);
        start = end;
    }
    let trailing = parser.take_trailing();
    let error = match parser.error() {
        Some(e) => Some(e),
        None if trailing.is_none() => parser.feed_eof().err(),
        None => None,
    };
    Outcome {
        events,
        error,
        trailing,
    }
}

fn collect(
    body: crate::http::BodyBytes<'_>,
    batch: impl Iterator<Item = Event>,
    out: &mut Vec<Seen>,
) {
    for event in batch {
        match event {
            Event::Head(head) => out.push(Seen::Head(head)),
            Event::Body { run } => {
                let bytes: Vec<u8> = body.slices(run).flatten().copied().collect();
                if let Some(Seen::Body(last)) = out.last_mut() {
                    last.extend_from_slice(&bytes);
                } else {
                    out.push(Seen::Body(bytes));
                }
            }
            Event::End(trailers) => out.push(Seen::End(
                trailers
                    .iter()
                    .map(|(n, v)| (n.to_owned(), v.to_vec()))
                    .collect(),
            )),
        }
    }
}

/// Parses `input` whole, cut once at every position (or at a stride for long inputs), and one
/// byte at a time; asserts that every split gives the same outcome, and returns it.
pub(super) fn parse_every_split(input: &[u8], limits: HttpLimits) -> Outcome {
    let whole = parse_pieces(input, &[], limits);
    let stride = (input.len() / 512).max(1);
    for cut in (1..input.len()).step_by(stride) {
        let split = parse_pieces(input, &[cut], limits);
        assert_eq!(split, whole, "split at {cut} differs");
    }
    let bytewise: Vec<usize> = (1..input.len()).collect();
    assert_eq!(
        parse_pieces(input, &bytewise, limits),
        whole,
        "byte-at-a-time differs"
    );
    whole
}

/// A request head with `Host` and the given extra field lines, ended by its empty line.
pub(super) fn head(request_line: &str, fields: &[&str]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\nHost: example.com\r\n");
    for field in fields {
        out.push_str(field);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// `head` followed by `body`.
pub(super) fn post(fields: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = head("POST /upload HTTP/1.1", fields);
    out.extend_from_slice(body);
    out
}
