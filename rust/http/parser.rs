//! `RequestParser`: pipelined requests in, events out, one call per read.
//!
//! Each `feed` returns every event complete so far, across as many requests as the input holds:
//! a `Head`, then `Body` runs, then `End` (with the trailers of a chunked body). The rules:
//! - A request that switches protocol (an upgrade, or CONNECT) pauses the parser after its `End`:
//!   the bytes after it belong to the new protocol. `resume` goes on parsing them as HTTP (upgrade
//!   refused); `take_trailing` hands them over (upgrade accepted). What is fed while paused is
//!   kept whole for `take_trailing`, so the caller stops reading until it has decided.
//! - A head that breaks a rule (framing, Host, a Content-Length over `max_body_size`, ...) gives
//!   no `Head` event: the request is refused as a whole.
//! - The first violation stops parsing for good. The events before it are returned with it; the
//!   pipeline answers with `error.status_hint()` and closes. Whatever the split of the input into
//!   reads, the events (body bytes joined) and the error are the same.
//! - Nothing is buffered past a limit: a partial head is capped by `max_head_size`, a partial
//!   chunk line by its own cap, and body bytes are never buffered, only reported as ranges of the
//!   input, so a caller copies them once. When a read holds whole requests, the parser works on
//!   the caller's bytes directly and copies nothing.
//! - Empty lines before a request line are skipped ("SHOULD ignore at least one empty line",
//!   RFC 9112 §2.2); they are dropped, not buffered.

use std::ops::Range;
use std::vec::Drain;

use super::chunked::ChunkedDecoder;
use super::error::HttpError;
use super::headers::Fields;
use super::limits::HttpLimits;
use super::request::{parse_request_head, RequestHead};
use super::scan::{skip_empty_lines, HeadScanner, StartLine};
use super::Framing;

/// What the parser found.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A request line and header section.
    Head(Box<RequestHead>),
    /// Body bytes: the input ranges `pieces[run]` of the batch, in order (see `BodyBytes`).
    Body {
        /// Indices into the batch's `pieces`.
        run: Range<usize>,
    },
    /// The end of a request: the trailer fields of a chunked body, or none.
    End(Fields),
}

/// The bytes behind a batch's `Body` events.
#[derive(Clone, Copy, Debug)]
pub struct BodyBytes<'p> {
    /// The bytes the parser worked on for this batch.
    pub input: &'p [u8],
    /// Ranges of `input` holding body data.
    pub pieces: &'p [Range<usize>],
}

impl<'p> BodyBytes<'p> {
    /// The slices of one `Body` event's run, in order.
    pub fn slices(self, run: Range<usize>) -> impl Iterator<Item = &'p [u8]> {
        self.pieces[run].iter().map(move |r| &self.input[r.clone()])
    }

    /// The total length of one `Body` event's run.
    pub fn len(self, run: Range<usize>) -> usize {
        self.pieces[run].iter().map(ExactSizeIterator::len).sum()
    }
}

/// The result of one `feed` or `resume`: events, their body bytes, and the error that stopped
/// parsing, if one did (now or earlier).
#[derive(Debug)]
pub struct Batch<'p> {
    /// The events, in order.
    pub events: Drain<'p, Event>,
    /// Where `Body` events' bytes are.
    pub body: BodyBytes<'p>,
    /// The violation that stopped the parser.
    pub error: Option<HttpError>,
}

/// What the parser expects next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Head,
    Fixed(u64),
    Chunked,
    /// After a request that switches protocol, until `resume` or `take_trailing`.
    Paused,
    /// After `take_trailing`: bytes are only collected.
    HandedOver,
}

/// Parses pipelined HTTP/1.1 requests from a byte stream.
#[derive(Debug)]
pub struct RequestParser {
    limits: HttpLimits,
    state: State,
    /// Unparsed input; its first `consumed` bytes were parsed in the last call.
    buf: Vec<u8>,
    consumed: usize,
    scanner: HeadScanner,
    chunked: ChunkedDecoder,
    events: Vec<Event>,
    pieces: Vec<Range<usize>>,
    error: Option<HttpError>,
    /// Whether the request being read pauses the parser at its end.
    switching: bool,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    pub fn new(limits: HttpLimits) -> Self {
        Self {
            limits,
            state: State::Head,
            buf: Vec::new(),
            consumed: 0,
            scanner: HeadScanner::default(),
            chunked: ChunkedDecoder::new(limits),
            events: Vec::new(),
            pieces: Vec::new(),
            error: None,
            switching: false,
        }
    }

    /// The limits this parser enforces.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// The violation that stopped the parser, if any.
    pub fn error(&self) -> Option<HttpError> {
        self.error
    }

    /// Whether the parser waits for `resume` or `take_trailing` after a protocol switch.
    pub fn is_paused(&self) -> bool {
        self.state == State::Paused
    }

    /// Whether `take_trailing` handed the connection over.
    pub fn is_handed_over(&self) -> bool {
        self.state == State::HandedOver
    }

    /// Whether the parser is between requests with nothing of the next one buffered.
    pub fn is_idle(&self) -> bool {
        self.state == State::Head
            && self.error.is_none()
            && self.scanner.is_fresh()
            && self.buf.len() == self.consumed
    }

    /// Parses `data` after whatever was left over. Once stopped by an error, or while paused,
    /// nothing is parsed (a paused parser keeps the bytes for `resume` or `take_trailing`).
    pub fn feed<'p>(&'p mut self, data: &'p [u8]) -> Batch<'p> {
        self.compact();
        if self.error.is_some() || matches!(self.state, State::Paused | State::HandedOver) {
            if self.error.is_none() {
                self.buf.extend_from_slice(data);
            }
            return self.batch_over_buffer();
        }
        if !self.buf.is_empty() {
            self.buf.extend_from_slice(data);
            return self.run_on_buffer();
        }
        let used = self.process(data);
        if self.error.is_none() {
            self.buf.extend_from_slice(&data[used..]);
        }
        Batch {
            events: self.events.drain(..),
            body: BodyBytes {
                input: data,
                pieces: &self.pieces,
            },
            error: self.error,
        }
    }

    /// Goes on parsing after a pause (the upgrade was refused). Does nothing unless paused.
    pub fn resume(&mut self) -> Batch<'_> {
        self.compact();
        if self.state != State::Paused {
            return self.batch_over_buffer();
        }
        self.state = State::Head;
        self.run_on_buffer()
    }

    /// Hands over the bytes after a protocol switch (the upgrade was accepted); later input is
    /// only collected. `None` unless paused or already handed over.
    pub fn take_trailing(&mut self) -> Option<Vec<u8>> {
        if !matches!(self.state, State::Paused | State::HandedOver) {
            return None;
        }
        self.compact();
        self.state = State::HandedOver;
        Some(std::mem::take(&mut self.buf))
    }

    /// The input ended.
    ///
    /// # Errors
    /// The recorded error, or `IncompleteMessage` (now recorded) if the input ended inside a
    /// request.
    pub fn feed_eof(&mut self) -> Result<(), HttpError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.is_idle() || matches!(self.state, State::Paused | State::HandedOver) {
            return Ok(());
        }
        self.error = Some(HttpError::IncompleteMessage);
        Err(HttpError::IncompleteMessage)
    }

    /// Drops the bytes parsed by the previous call and forgets its events.
    fn compact(&mut self) {
        self.events.clear();
        self.pieces.clear();
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
    }

    fn batch_over_buffer(&mut self) -> Batch<'_> {
        Batch {
            events: self.events.drain(..),
            body: BodyBytes {
                input: &self.buf,
                pieces: &self.pieces,
            },
            error: self.error,
        }
    }

    fn run_on_buffer(&mut self) -> Batch<'_> {
        let buf = std::mem::take(&mut self.buf);
        self.consumed = self.process(&buf);
        self.buf = buf;
        self.batch_over_buffer()
    }

    /// Parses as much of `input` as possible; returns the bytes used.
    fn process(&mut self, input: &[u8]) -> usize {
        let mut pos = 0;
        loop {
            let step = match self.state {
                State::Head => self.read_head(input, pos),
                State::Fixed(remaining) => Ok(self.read_fixed(input, pos, remaining)),
                State::Chunked => self.read_chunked(input, pos),
                State::Paused | State::HandedOver => return pos,
            };
            match step {
                Ok((used, more)) => {
                    pos += used;
                    if !more {
                        return pos;
                    }
                }
                Err(error) => {
                    self.error = Some(error);
                    return pos;
                }
            }
        }
    }

    /// Each reader returns (bytes used, whether to go on).
    fn read_head(&mut self, input: &[u8], pos: usize) -> Result<(usize, bool), HttpError> {
        let mut start = pos;
        if self.scanner.is_fresh() {
            let (skipped, partial) = skip_empty_lines(&input[pos..], self.limits.allow_bare_lf);
            start += skipped;
            if partial || start == input.len() {
                return Ok((start - pos, false));
            }
        }
        let head = &input[start..];
        let Some(len) = self.scanner.scan(head, &self.limits, StartLine::Request)? else {
            return Ok((start - pos, false));
        };
        let parsed = parse_request_head(&head[..len], self.scanner.field_lines(), &self.limits)?;
        self.scanner.reset();
        self.switching = parsed.switches_protocol();
        let framing = parsed.framing;
        self.events.push(Event::Head(Box::new(parsed)));
        match framing {
            Framing::None => self.end_message(Fields::default()),
            Framing::Length(n) => self.state = State::Fixed(n),
            Framing::Chunked => {
                self.chunked.reset();
                self.state = State::Chunked;
            }
        }
        Ok((start + len - pos, true))
    }

    fn read_fixed(&mut self, input: &[u8], pos: usize, remaining: u64) -> (usize, bool) {
        let n = remaining.min((input.len() - pos) as u64) as usize;
        if n > 0 {
            push_body(&mut self.pieces, &mut self.events, pos..pos + n);
        }
        if remaining == n as u64 {
            self.end_message(Fields::default());
            (n, true)
        } else {
            self.state = State::Fixed(remaining - n as u64);
            (n, false)
        }
    }

    fn read_chunked(&mut self, input: &[u8], pos: usize) -> Result<(usize, bool), HttpError> {
        let (pieces, events) = (&mut self.pieces, &mut self.events);
        let used = self.chunked.decode(&input[pos..], |r| {
            push_body(pieces, events, pos + r.start..pos + r.end);
        })?;
        let done = self.chunked.is_done();
        if done {
            let trailers = self.chunked.take_trailers();
            self.end_message(trailers);
        }
        Ok((used, done))
    }

    fn end_message(&mut self, trailers: Fields) {
        self.events.push(Event::End(trailers));
        self.state = if self.switching {
            State::Paused
        } else {
            State::Head
        };
    }
}

/// Adds body bytes, extending the run of the last event when it is a `Body`.
fn push_body(pieces: &mut Vec<Range<usize>>, events: &mut Vec<Event>, range: Range<usize>) {
    pieces.push(range);
    let end = pieces.len();
    if let Some(Event::Body { run }) = events.last_mut() {
        run.end = end;
    } else {
        events.push(Event::Body { run: end - 1..end });
    }
}
