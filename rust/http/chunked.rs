//! The chunked transfer coding (RFC 9112 §7.1), decoded as bytes arrive, and its encoder.
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! chunk-ext-val  = token / quoted-string
//! trailer-section = *( field-line CRLF )
//! ```
//! Read strictly, because every leniency here has been a smuggling bug somewhere (peers.md §2.4):
//! - sizes are hex digits only: no sign, no `0x`, no spaces around them (`5 ` and ` 5` are 400),
//!   and a size that does not fit in 64 bits is 400 (`ChunkSizeOverflow`), never wrapped;
//! - every line ends with CRLF: a bare LF is 400 here even when the head allows it (Go
//!   CVE-2025-22871), and chunk data must be followed by exactly CRLF, not any two bytes (h11
//!   CVE-2025-43859);
//! - extensions are parsed to the grammar above (BWS allowed around `;` and `=`, quoted strings
//!   without CR or LF, CVE-2024-52304) and discarded; their bytes are summed and capped;
//! - trailer fields are parsed like header fields (no obs-fold), capped, and handed over;
//! - the body ends only with the last chunk and its trailer section: running out of input
//!   before that is an error (`IncompleteChunkedBody`), not a short body.
//!
//! The decoder never buffers chunk data: each call reports the data ranges of its own input, so a
//! caller can copy them once, straight into the object it hands out. Only a line split across
//! reads is kept, and it is capped (`max_chunk_size_line`, `max_trailer_size`).

use std::ops::Range;

use memchr::memchr;

use super::error::HttpError;
use super::headers::{is_tchar, Fields};
use super::limits::HttpLimits;

/// Where the decoder is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    SizeLine,
    /// Inside chunk data, this many bytes to go.
    Data(u64),
    /// After chunk data, expecting CR.
    DataCr,
    /// After chunk data and CR, expecting LF.
    DataLf,
    /// After the last chunk, reading the trailer section.
    Trailers,
    /// The body is complete.
    Done,
}

/// Decodes one chunked body incrementally; bytes after its end are left to the caller.
#[derive(Clone, Debug)]
pub struct ChunkedDecoder {
    state: State,
    /// A chunk-size line, or the trailer section, that has not arrived in full yet.
    line: Vec<u8>,
    /// Where the current trailer line starts in `line`.
    trailer_line_start: usize,
    extensions: usize,
    body: u64,
    trailers: Fields,
    limits: HttpLimits,
}

impl ChunkedDecoder {
    /// A decoder for one body, under `limits`.
    pub fn new(limits: HttpLimits) -> Self {
        Self {
            state: State::SizeLine,
            line: Vec::new(),
            trailer_line_start: 0,
            extensions: 0,
            body: 0,
            trailers: Fields::default(),
            limits,
        }
    }

    /// Makes the decoder ready for another body, keeping its buffer.
    pub fn reset(&mut self) {
        self.state = State::SizeLine;
        self.line.clear();
        self.trailer_line_start = 0;
        self.extensions = 0;
        self.body = 0;
        self.trailers = Fields::default();
    }

    /// Whether the last chunk and the trailer section have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailer fields, once `is_done`.
    pub fn trailers(&self) -> &Fields {
        &self.trailers
    }

    /// Takes the trailer fields out, once `is_done`.
    pub fn take_trailers(&mut self) -> Fields {
        std::mem::take(&mut self.trailers)
    }

    /// Decodes from `input`, calling `on_data` with the range of `input` holding each piece of
    /// chunk data, in order. Returns how many bytes of `input` belong to the body: all of them
    /// until the body ends, then up to the end of its final CRLF.
    ///
    /// # Errors
    /// The first violation in the input; the data reported before it is valid.
    pub fn decode(
        &mut self,
        input: &[u8],
        mut on_data: impl FnMut(Range<usize>),
    ) -> Result<usize, HttpError> {
        let mut pos = 0;
        while pos < input.len() {
            match self.state {
                State::SizeLine => pos += self.read_size_line(&input[pos..])?,
                State::Data(remaining) => {
                    let n = remaining.min((input.len() - pos) as u64) as usize;
                    on_data(pos..pos + n);
                    pos += n;
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data(left)
                    };
                }
                State::DataCr | State::DataLf => {
                    let expected = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if input[pos] != expected {
                        return Err(HttpError::ChunkDataNotTerminated);
                    }
                    pos += 1;
                    self.state = if self.state == State::DataCr {
                        State::DataLf
                    } else {
                        State::SizeLine
                    };
                }
                State::Trailers => pos += self.read_trailers(&input[pos..])?,
                State::Done => break,
            }
        }
        Ok(pos)
    }

    /// Reads (part of) a chunk-size line from `input`; returns the bytes used.
    fn read_size_line(&mut self, input: &[u8]) -> Result<usize, HttpError> {
        if self.line.is_empty() {
            if let Some((size, used)) = plain_size_line(input, self.limits.max_chunk_size_line) {
                self.start_chunk(size, 0)?;
                return Ok(used);
            }
        }
        let allowance = self
            .limits
            .max_chunk_size_line
            .saturating_sub(self.line.len());
        let window = &input[..input.len().min(allowance)];
        let Some(lf) = memchr(b'\n', window) else {
            if window.len() == allowance {
                return Err(HttpError::ChunkSizeLineTooLong);
            }
            self.line.extend_from_slice(window);
            return Ok(window.len());
        };
        let parsed = if self.line.is_empty() {
            parse_size_line(&window[..lf])
        } else {
            self.line.extend_from_slice(&window[..lf]);
            parse_size_line(&self.line)
        };
        self.line.clear();
        let (size, extensions) = parsed?;
        self.start_chunk(size, extensions)?;
        Ok(lf + 1)
    }

    fn start_chunk(&mut self, size: u64, extensions: usize) -> Result<(), HttpError> {
        self.extensions = self.extensions.saturating_add(extensions);
        if self.extensions > self.limits.max_chunk_extensions_size {
            return Err(HttpError::ChunkExtensionsTooLarge);
        }
        if size == 0 {
            self.state = State::Trailers;
            return Ok(());
        }
        self.body = self.body.saturating_add(size);
        if self.limits.max_body_size.is_some_and(|max| self.body > max) {
            return Err(HttpError::ContentTooLarge);
        }
        self.state = State::Data(size);
        Ok(())
    }

    /// Reads (part of) the trailer section; returns the bytes used. The section, its final empty
    /// line included, must end within `max_trailer_size + 2` bytes.
    fn read_trailers(&mut self, input: &[u8]) -> Result<usize, HttpError> {
        if self.line.is_empty() && input.starts_with(b"\r\n") {
            self.state = State::Done;
            return Ok(2);
        }
        let allowance = self
            .limits
            .max_trailer_size
            .saturating_add(2)
            .saturating_sub(self.line.len());
        let window = &input[..input.len().min(allowance)];
        let mut used = 0;
        while let Some(lf) = memchr(b'\n', &window[used..]) {
            self.line.extend_from_slice(&window[used..=used + lf]);
            used += lf + 1;
            let line = &self.line[self.trailer_line_start..];
            if line.len() < 2 || line[line.len() - 2] != b'\r' {
                return Err(HttpError::BareLineFeed);
            }
            if line.len() == 2 {
                self.trailers = parse_trailers(&self.line)?;
                self.line.clear();
                self.trailer_line_start = 0;
                self.state = State::Done;
                return Ok(used);
            }
            self.trailer_line_start = self.line.len();
        }
        if window.len() == allowance {
            return Err(HttpError::TrailersTooLarge);
        }
        self.line.extend_from_slice(&window[used..]);
        Ok(window.len())
    }
}

/// The common case, `1*HEXDIG CRLF` with at most 16 digits inside `input`: (size, bytes used).
fn plain_size_line(input: &[u8], max_line: usize) -> Option<(u64, usize)> {
    let digits = input
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let used = digits + 2;
    if digits == 0 || used > max_line || input.get(digits..used) != Some(b"\r\n") {
        return None;
    }
    let size = input[..digits]
        .iter()
        .fold(0u64, |n, &b| (n << 4) | hex_value(b));
    Some((size, used))
}

fn hex_value(b: u8) -> u64 {
    u64::from(match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    })
}

/// Parses a chunk-size line without its LF: (size, extension bytes).
fn parse_size_line(line: &[u8]) -> Result<(u64, usize), HttpError> {
    let Some(line) = line.strip_suffix(b"\r") else {
        return Err(HttpError::BareLineFeed);
    };
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(HttpError::InvalidChunkSize);
    }
    let size = line[..digits].iter().try_fold(0u64, |n, &b| {
        n.checked_mul(16)
            .map(|n| n | hex_value(b))
            .ok_or(HttpError::ChunkSizeOverflow)
    })?;
    let extensions = &line[digits..];
    check_extensions(extensions)?;
    Ok((size, extensions.len()))
}

/// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`. Anything but `;` right
/// after the size (and its BWS) means the size itself was malformed (`5 `, `0x5`).
fn check_extensions(ext: &[u8]) -> Result<(), HttpError> {
    let mut i = 0;
    let mut error = HttpError::InvalidChunkSize;
    while i < ext.len() {
        i = skip_bws(ext, i);
        if ext.get(i) != Some(&b';') {
            return Err(error);
        }
        error = HttpError::InvalidChunkExtension;
        i = skip_bws(ext, i + 1);
        let name = token_len(ext, i);
        if name == 0 {
            return Err(error);
        }
        i += name;
        let after = skip_bws(ext, i);
        if ext.get(after) == Some(&b'=') {
            i = skip_bws(ext, after + 1);
            i = if ext.get(i) == Some(&b'"') {
                quoted_string_end(ext, i).ok_or(error)?
            } else {
                match token_len(ext, i) {
                    0 => return Err(error),
                    n => i + n,
                }
            };
        }
    }
    Ok(())
}

fn skip_bws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn token_len(s: &[u8], i: usize) -> usize {
    s.get(i..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| is_tchar(b))
        .count()
}

/// The index after the quoted-string opening at `s[start]`, per RFC 9110 §5.6.4:
/// `qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text`,
/// `quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )`. CR and LF can appear in neither.
fn quoted_string_end(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *s.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *s.get(i + 1)? {
                b'\t' | b' '..=b'~' | 0x80..=0xff => i += 2,
                _ => return None,
            },
            b'\t' | b' ' | b'!' | b'#'..=b'[' | b']'..=b'~' | 0x80..=0xff => i += 1,
            _ => return None,
        }
    }
}

/// Parses a complete trailer section (field lines and the final CRLF) with httparse, which
/// rejects obs-fold, whitespace before the colon and control characters.
fn parse_trailers(section: &[u8]) -> Result<Fields, HttpError> {
    let count = memchr::memchr_iter(b'\n', section)
        .count()
        .saturating_sub(1);
    let mut storage = vec![httparse::EMPTY_HEADER; count];
    match httparse::parse_headers(section, &mut storage) {
        Ok(httparse::Status::Complete((n, parsed))) if n == section.len() => {
            Ok(Fields::from_httparse(section, parsed))
        }
        _ => Err(HttpError::InvalidTrailerField),
    }
}

/// The bytes `encode_chunk` produces for `len` bytes of data.
pub fn chunk_len(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        hex_len(len) + 2 + len + 2
    }
}

fn hex_len(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()).div_ceil(4).max(1) as usize
}

/// Writes one chunk of `data` into `out`, which must be `chunk_len(data.len())` bytes long: the
/// size in lowercase hex without leading zeros, CRLF, the data, CRLF. Empty data writes nothing
/// (an empty chunk would be the last one).
pub fn write_chunk(out: &mut [u8], data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let digits = hex_len(data.len());
    for (i, slot) in out[..digits].iter_mut().enumerate() {
        let shift = 4 * (digits - 1 - i);
        *slot = b"0123456789abcdef"[(data.len() >> shift) & 0xf];
    }
    out[digits..digits + 2].copy_from_slice(b"\r\n");
    out[digits + 2..digits + 2 + data.len()].copy_from_slice(data);
    out[digits + 2 + data.len()..].copy_from_slice(b"\r\n");
}

/// One chunk holding `data` (nothing for empty data).
pub fn encode_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0; chunk_len(data.len())];
    write_chunk(&mut out, data);
    out
}
