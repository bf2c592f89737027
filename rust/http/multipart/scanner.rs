//! `MultipartScanner`: a multipart body (RFC 2046 §5.1.1) turned into events as bytes arrive.
//!
//! ```text
//! multipart-body := [preamble CRLF] dash-boundary transport-padding CRLF body-part
//!                   *encapsulation close-delimiter transport-padding [CRLF epilogue]
//! encapsulation  := delimiter transport-padding CRLF body-part
//! delimiter      := CRLF dash-boundary          dash-boundary := "--" boundary
//! close-delimiter := delimiter "--"             transport-padding := *LWSP-char
//! ```
//! Read strictly, where Ktor and several peers are lenient (peers.md Part B):
//! - delimiters are recognised only at line starts (`finder`), the first one also at the very
//!   start of the body; transport padding (SP, HTAB) is allowed after every delimiter and after
//!   the close delimiter, and counts towards `max_header_line_size`;
//! - after a delimiter comes padding and CRLF, or `--`; anything else is an error, as is anything
//!   but padding and CRLF after the close delimiter;
//! - the body ends only with the close delimiter: input that ends before it (or has no delimiter
//!   at all) is an error at `finish`, never a silently short form;
//! - a part Content-Length is not framing (RFC 7578 §4.8): only delimiters end a part;
//! - the preamble and the epilogue are bounded and reported whole, once; a body may have no parts
//!   at all (`--boundary--`), which is what browsers send for an empty form.
//!
//! Events do not depend on how the input was split, except that a part's content may come in
//! more or fewer `Data` pieces; errors are the same, after the same events. Content is handed
//! out as slices of the input; only a held delimiter prefix that turns out to be content (at most
//! the boundary length plus three bytes, at a piece's edge) is copied.

use std::borrow::Cow;

use super::content_type::{boundary_from_content_type, check_boundary};
use super::error::MultipartError;
use super::finder::Finder;
use super::head::{parse_part_head, PartHead};
use super::limits::MultipartLimits;
use crate::http::scan::{HeadScanner, StartLine};
use crate::http::HttpLimits;

/// One step of a multipart body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The bytes before the first delimiter, when there are any.
    Preamble(Vec<u8>),
    /// A part starts; its header section has been read.
    PartBegin(Box<PartHead>),
    /// A piece of the current part's content.
    Data(Cow<'a, [u8]>),
    /// The current part's content is complete.
    PartEnd,
    /// The bytes after the close delimiter line, when there are any (from `finish`).
    Epilogue(Vec<u8>),
}

/// Where the scanner is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// After a delimiter, before the end of its line.
    DelimiterLine(Line),
    /// In a part's header section.
    Headers,
    /// In a part's content.
    Content,
    /// After the close delimiter, before the end of its line.
    CloseLine(Line),
    /// After the close delimiter line.
    Epilogue,
    /// `finish` has been called.
    Done,
}

/// Where a delimiter line is after its boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// Right after the boundary (or after `--` for the close delimiter).
    Start,
    /// After one `-` of a close delimiter.
    Dash,
    /// In the transport padding.
    Padding,
    /// After the CR that should end the line.
    Cr,
}

/// Scans one multipart body under `MultipartLimits`.
pub struct MultipartScanner {
    limits: MultipartLimits,
    header_limits: HttpLimits,
    finder: Finder,
    state: State,
    head_scanner: HeadScanner,
    /// A header section that has not arrived in full yet.
    section: Vec<u8>,
    /// The preamble or the epilogue, as far as it has arrived.
    buffer: Vec<u8>,
    /// The length of the delimiter line being read.
    line_size: usize,
    parts: usize,
    part_size: u64,
    error: Option<MultipartError>,
}

impl MultipartScanner {
    /// A scanner for a body delimited by `boundary`.
    ///
    /// # Errors
    /// `InvalidBoundary` or `BoundaryTooLong` when `boundary` breaks RFC 2046 or the limit.
    pub fn new(boundary: &[u8], limits: MultipartLimits) -> Result<Self, MultipartError> {
        check_boundary(boundary, &limits)?;
        Ok(Self {
            limits,
            header_limits: limits.header_limits(),
            finder: Finder::new(boundary),
            state: State::Preamble,
            head_scanner: HeadScanner::default(),
            section: Vec::new(),
            buffer: Vec::new(),
            line_size: 0,
            parts: 0,
            part_size: 0,
            error: None,
        })
    }

    /// A scanner for a body whose Content-Type field value is `content_type`.
    ///
    /// # Errors
    /// `NotMultipart` for a type other than `multipart/*`, else the boundary's errors.
    pub fn from_content_type(
        content_type: &[u8],
        limits: MultipartLimits,
    ) -> Result<Self, MultipartError> {
        Self::new(&boundary_from_content_type(content_type, &limits)?, limits)
    }

    /// The limits the scanner was built with.
    pub fn limits(&self) -> &MultipartLimits {
        &self.limits
    }

    /// The violation that stopped the scanner, if one did.
    pub fn error(&self) -> Option<MultipartError> {
        self.error
    }

    /// Whether the close delimiter has been read.
    pub fn is_closed(&self) -> bool {
        matches!(
            self.state,
            State::CloseLine(_) | State::Epilogue | State::Done
        )
    }

    /// Whether `finish` has been called and succeeded.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// Scans `input`, appending its events to `events`. Input after `finish` is ignored.
    ///
    /// # Errors
    /// The first violation in the input; the events appended before it are valid. Once failed,
    /// every call returns the same error.
    pub fn feed<'a>(
        &mut self,
        input: &'a [u8],
        events: &mut Vec<Event<'a>>,
    ) -> Result<(), MultipartError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut pos = 0;
        while pos < input.len() {
            let step = match self.state {
                State::Preamble => self.preamble(input, pos, events),
                State::DelimiterLine(line) => self.delimiter_line(input, pos, line),
                State::Headers => self.headers(input, pos, events),
                State::Content => self.content(input, pos, events),
                State::CloseLine(line) => self.close_line(input, pos, line),
                State::Epilogue => self.epilogue(&input[pos..]).map(|()| input.len()),
                State::Done => Ok(input.len()),
            };
            match step {
                Ok(next) => pos = next,
                Err(error) => {
                    self.error = Some(error);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Ends the input, appending the epilogue if there is one.
    ///
    /// # Errors
    /// `NoDelimiter` when no delimiter was seen, `Truncated` when the close delimiter line was
    /// not complete, or the error that stopped the scanner earlier.
    pub fn finish(&mut self, events: &mut Vec<Event<'_>>) -> Result<(), MultipartError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let error = match self.state {
            State::Epilogue => {
                if !self.buffer.is_empty() {
                    events.push(Event::Epilogue(std::mem::take(&mut self.buffer)));
                }
                None
            }
            State::CloseLine(Line::Start | Line::Padding) | State::Done => None,
            State::Preamble => Some(MultipartError::NoDelimiter),
            _ => Some(MultipartError::Truncated),
        };
        if let Some(error) = error {
            self.error = Some(error);
            return Err(error);
        }
        self.state = State::Done;
        Ok(())
    }

    fn preamble<'a>(
        &mut self,
        input: &'a [u8],
        pos: usize,
        events: &mut Vec<Event<'a>>,
    ) -> Result<usize, MultipartError> {
        let rest = &input[pos..];
        let found = self.finder.search(rest);
        let spill = found.spill.len();
        if self.buffer.len() + spill + found.content.len() > self.limits.max_preamble_size {
            return Err(MultipartError::PreambleTooLarge);
        }
        self.buffer
            .extend_from_slice(&self.finder.delimiter()[found.spill]);
        self.buffer.extend_from_slice(&rest[found.content]);
        let Some(end) = found.delimiter_end else {
            return Ok(input.len());
        };
        if !self.buffer.is_empty() {
            events.push(Event::Preamble(std::mem::take(&mut self.buffer)));
        }
        self.enter_delimiter_line();
        Ok(pos + end)
    }

    fn enter_delimiter_line(&mut self) {
        self.state = State::DelimiterLine(Line::Start);
        self.line_size = self.finder.delimiter().len() - 2;
    }

    /// Counts one byte of transport padding against the line limit (its CRLF included).
    fn pad(&mut self) -> Result<(), MultipartError> {
        self.line_size += 1;
        if self.line_size + 2 > self.limits.max_header_line_size {
            return Err(MultipartError::PaddingTooLong);
        }
        Ok(())
    }

    fn delimiter_line(
        &mut self,
        input: &[u8],
        pos: usize,
        mut line: Line,
    ) -> Result<usize, MultipartError> {
        for (i, &b) in input.iter().enumerate().skip(pos) {
            line = match (line, b) {
                (Line::Start, b'-') => Line::Dash,
                (Line::Dash, b'-') => {
                    self.line_size += 2;
                    self.state = State::CloseLine(Line::Start);
                    return Ok(i + 1);
                }
                (Line::Start | Line::Padding, b' ' | b'\t') => {
                    self.pad()?;
                    Line::Padding
                }
                (Line::Start | Line::Padding, b'\r') => Line::Cr,
                (Line::Cr, b'\n') => {
                    self.parts += 1;
                    if self.parts > self.limits.max_parts {
                        return Err(MultipartError::TooManyParts);
                    }
                    self.state = State::Headers;
                    return Ok(i + 1);
                }
                _ => return Err(MultipartError::InvalidDelimiterLine),
            };
        }
        self.state = State::DelimiterLine(line);
        Ok(input.len())
    }

    fn close_line(
        &mut self,
        input: &[u8],
        pos: usize,
        mut line: Line,
    ) -> Result<usize, MultipartError> {
        for (i, &b) in input.iter().enumerate().skip(pos) {
            line = match (line, b) {
                (Line::Start | Line::Padding, b' ' | b'\t') => {
                    self.pad()?;
                    Line::Padding
                }
                (Line::Start | Line::Padding, b'\r') => Line::Cr,
                (Line::Cr, b'\n') => {
                    self.state = State::Epilogue;
                    return Ok(i + 1);
                }
                _ => return Err(MultipartError::InvalidCloseDelimiterLine),
            };
        }
        self.state = State::CloseLine(line);
        Ok(input.len())
    }

    fn headers<'a>(
        &mut self,
        input: &'a [u8],
        pos: usize,
        events: &mut Vec<Event<'a>>,
    ) -> Result<usize, MultipartError> {
        let rest = &input[pos..];
        if self.section.is_empty() {
            // The common case: the whole section is in this piece, scanned where it lies.
            let Some(len) = self.scan_section(rest)? else {
                self.section.extend_from_slice(rest);
                return Ok(input.len());
            };
            self.begin_part(&rest[..len], events)?;
            return Ok(pos + len);
        }
        let before = self.section.len();
        let take = rest.len().min(self.limits.max_headers_size - before);
        self.section.extend_from_slice(&rest[..take]);
        let section = std::mem::take(&mut self.section);
        let scanned = self.scan_section(&section);
        let outcome = match scanned {
            Ok(Some(len)) => self
                .begin_part(&section[..len], events)
                .map(|()| pos + len - before),
            Ok(None) => {
                self.section = section;
                return Ok(pos + take);
            }
            Err(error) => Err(error),
        };
        self.section = section;
        self.section.clear();
        outcome
    }

    fn scan_section(&mut self, section: &[u8]) -> Result<Option<usize>, MultipartError> {
        self.head_scanner
            .scan(section, &self.header_limits, StartLine::Absent)
            .map_err(MultipartError::from_header_error)
    }

    fn begin_part(
        &mut self,
        section: &[u8],
        events: &mut Vec<Event<'_>>,
    ) -> Result<(), MultipartError> {
        let count = self.head_scanner.field_lines();
        self.head_scanner.reset();
        let head = parse_part_head(section, count)?;
        events.push(Event::PartBegin(Box::new(head)));
        self.part_size = 0;
        if section.ends_with(b"\r\n") {
            self.finder.start_after_virtual_crlf();
        } else {
            self.finder.start();
        }
        self.state = State::Content;
        Ok(())
    }

    fn content<'a>(
        &mut self,
        input: &'a [u8],
        pos: usize,
        events: &mut Vec<Event<'a>>,
    ) -> Result<usize, MultipartError> {
        let rest = &input[pos..];
        let found = self.finder.search(rest);
        let size = (found.spill.len() + found.content.len()) as u64;
        let allowed = match self.limits.max_part_size {
            Some(max) if self.part_size + size > max => Some(max - self.part_size),
            _ => None,
        };
        let mut spill: &[u8] = &self.finder.delimiter()[found.spill];
        let mut content: &'a [u8] = &rest[found.content];
        if let Some(allowed) = allowed {
            let allowed = allowed as usize;
            spill = &spill[..allowed.min(spill.len())];
            content = &content[..(allowed - spill.len()).min(content.len())];
        }
        if !spill.is_empty() {
            events.push(Event::Data(Cow::Owned(spill.to_vec())));
        }
        if !content.is_empty() {
            events.push(Event::Data(Cow::Borrowed(content)));
        }
        if allowed.is_some() {
            return Err(MultipartError::PartTooLarge);
        }
        self.part_size += size;
        let Some(end) = found.delimiter_end else {
            return Ok(input.len());
        };
        events.push(Event::PartEnd);
        self.enter_delimiter_line();
        Ok(pos + end)
    }

    fn epilogue(&mut self, input: &[u8]) -> Result<(), MultipartError> {
        if self.buffer.len() + input.len() > self.limits.max_epilogue_size {
            return Err(MultipartError::EpilogueTooLarge);
        }
        self.buffer.extend_from_slice(input);
        Ok(())
    }
}
