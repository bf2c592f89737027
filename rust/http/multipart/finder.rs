//! Finding `delimiter = CRLF "--" boundary` (RFC 2046 §5.1.1) in a stream that arrives in pieces.
//!
//! The search is memchr's `memmem` (SIMD prefilter, Two-Way underneath, so linear even on
//! near-boundary data); no byte loop looks for the boundary. Everything before a delimiter is
//! content and is handed out as ranges of the caller's input, so content is copied once, by the
//! caller. Only a possible delimiter prefix at the end of a piece is held back, and it is held as
//! a count: it is always a prefix of the delimiter itself, never more than the delimiter's length
//! less one.
//!
//! That works because CR occurs in the delimiter only at its start (a boundary has no CR or LF):
//! a delimiter can only begin at the last CR of a piece's tail, and when held bytes turn out not
//! to begin a delimiter, none of them can (they are the delimiter's own bytes, CR first).
//!
//! "The boundary delimiter MUST occur at the beginning of a line, i.e., following a CRLF, and the
//! initial CRLF is considered to be attached to the boundary delimiter line". Two places give
//! that CRLF without it being content: the start of the body, where the first delimiter may be
//! `dash-boundary` alone, and the empty line that ends a part's header section, which is also the
//! CRLF of a delimiter when the part has no content. Both start a search with a *virtual* CRLF
//! held: if a delimiter follows, it is found; if not, the two bytes were never content.

use std::ops::Range;

use memchr::memmem;

/// What a search through one piece of input found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// Bytes held from earlier pieces that turned out to be content: `delimiter[held]`.
    pub(crate) spill: Range<usize>,
    /// The content in this piece, before the delimiter or the held tail.
    pub(crate) content: Range<usize>,
    /// Where the delimiter ends in this piece, if one was completed.
    pub(crate) delimiter_end: Option<usize>,
}

/// The delimiter of one boundary and the state of the search for it.
pub(crate) struct Finder {
    delimiter: Vec<u8>,
    /// Boxed: the AVX2 searcher inside is 32-byte aligned, more than a Python object that holds
    /// a scanner guarantees.
    search: Box<memmem::Finder<'static>>,
    /// How many bytes of `delimiter` the input seen so far ends with.
    held: usize,
    /// How many of the held bytes are virtual (0, or 2 for a virtual CRLF).
    virtual_held: usize,
}

impl Finder {
    /// A finder for `CRLF "--" boundary`, starting at the beginning of a body.
    pub(crate) fn new(boundary: &[u8]) -> Self {
        let mut delimiter = Vec::with_capacity(boundary.len() + 4);
        delimiter.extend_from_slice(b"\r\n--");
        delimiter.extend_from_slice(boundary);
        let search = Box::new(memmem::Finder::new(&delimiter).into_owned());
        let mut this = Self {
            delimiter,
            search,
            held: 0,
            virtual_held: 0,
        };
        this.start_after_virtual_crlf();
        this
    }

    /// The delimiter's bytes, for turning a `Found::spill` into content.
    pub(crate) fn delimiter(&self) -> &[u8] {
        &self.delimiter
    }

    /// Starts a search as if a CRLF had just been seen that is not content.
    pub(crate) fn start_after_virtual_crlf(&mut self) {
        self.held = 2;
        self.virtual_held = 2;
    }

    /// Starts a search with nothing held.
    pub(crate) fn start(&mut self) {
        self.held = 0;
        self.virtual_held = 0;
    }

    /// Searches `input`, continuing from what earlier pieces left held.
    pub(crate) fn search(&mut self, input: &[u8]) -> Found {
        let len = self.delimiter.len();
        let mut spill = 0..0;
        if self.held > 0 {
            let need = len - self.held;
            let n = need.min(input.len());
            if input[..n] == self.delimiter[self.held..self.held + n] {
                if n == need {
                    self.start();
                    return Found {
                        spill,
                        content: 0..0,
                        delimiter_end: Some(n),
                    };
                }
                self.held += n;
                return Found {
                    spill,
                    content: 0..0,
                    delimiter_end: None,
                };
            }
            spill = self.virtual_held..self.held;
            self.start();
        }
        if let Some(at) = self.search.find(input) {
            return Found {
                spill,
                content: 0..at,
                delimiter_end: Some(at + len),
            };
        }
        let tail = input.len().saturating_sub(len - 1);
        let hold_from = memchr::memrchr(b'\r', &input[tail..])
            .map(|i| tail + i)
            .filter(|&p| self.delimiter.starts_with(&input[p..]))
            .unwrap_or(input.len());
        self.held = input.len() - hold_from;
        Found {
            spill,
            content: 0..hold_from,
            delimiter_end: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Content and delimiter ends found feeding `input` cut into `piece`-byte reads.
    fn run(input: &[u8], piece: usize, virtual_start: bool) -> (Vec<u8>, Vec<usize>) {
        let mut finder = Finder::new(b"XY");
        if !virtual_start {
            finder.start();
        }
        let (mut content, mut ends, mut offset) = (Vec::new(), Vec::new(), 0);
        for read in input.chunks(piece) {
            let mut pos = 0;
            while pos < read.len() {
                let found = finder.search(&read[pos..]);
                content.extend_from_slice(&finder.delimiter()[found.spill]);
                content.extend_from_slice(&read[pos..][found.content]);
                match found.delimiter_end {
                    Some(end) => {
                        ends.push(offset + pos + end);
                        pos += end;
                    }
                    None => break,
                }
            }
            offset += read.len();
        }
        content.extend_from_slice(&finder.delimiter()[finder.virtual_held..finder.held]);
        (content, ends)
    }

    #[test]
    fn every_piece_size_finds_the_same_delimiters() {
        let input = b"ab\r\n--X\r\r\n--XY\r\n--XYc\r\n-\r\n--XY";
        let expected = (b"ab\r\n--X\rc\r\n-".to_vec(), vec![14, 20, 30]);
        for piece in 1..=input.len() {
            assert_eq!(run(input, piece, false), expected, "piece {piece}");
        }
    }

    #[test]
    fn a_virtual_crlf_is_never_content() {
        for piece in 1..=8 {
            assert_eq!(run(b"--XYz", piece, true), (b"z".to_vec(), vec![4]));
            assert_eq!(run(b"--Xz", piece, true), (b"--Xz".to_vec(), vec![]));
            assert_eq!(run(b"-", piece, true), (b"-".to_vec(), vec![]));
        }
    }
}
