//! Incremental UTF-8 validation (RFC 6455 §8.1, RFC 3629) for text messages and close reasons.
//!
//! A text message arrives in fragments, and each fragment in pieces, split anywhere, even inside a
//! character. [`Utf8Validator`] takes the pieces in order and fails at the first byte that no
//! valid text can contain, without waiting for the rest of the frame: Autobahn's 6.4.x cases call
//! this "fail fast". Only an incomplete character at the very end of the message is left for
//! [`Utf8Validator::finish`] to refuse.
//!
//! The work is done by `simdutf8` (SIMD, CPU detected at run time), whose `compat` error, like
//! `core::str::from_utf8`'s, tells apart "invalid here" (`error_len() == Some(_)`) from "cut
//! short at the end" (`None`): the latter is exactly a valid prefix of a longer character, kept
//! here (at most 3 bytes) until the next piece. [`validate`] checks a whole text at once.

use simdutf8::compat::from_utf8;

use crate::ws::error::WsError;

/// A whole text, checked in one pass.
///
/// # Errors
/// [`WsError::InvalidUtf8`] when it is not valid UTF-8.
#[inline]
pub fn validate(text: &[u8]) -> Result<&str, WsError> {
    simdutf8::basic::from_utf8(text).map_err(|_| WsError::InvalidUtf8)
}

/// How many code points valid UTF-8 holds and the widest of them, rounded up to the limit of a
/// string kind (0x7F ASCII, 0xFF Latin-1, 0xFFFF UCS-2, 0x10FFFF UCS-4), read off the bytes alone:
/// the largest lead byte bounds the widest character (surrogates are not valid UTF-8).
pub fn code_point_layout(text: &str) -> (usize, u32) {
    let bytes = text.as_bytes();
    let widest = match bytes.iter().copied().max().unwrap_or(0) {
        0..=0x7F => 0x7F,
        0x80..=0xC3 => 0xFF,
        0xC4..=0xEF => 0xFFFF,
        _ => 0x10_FFFF,
    };
    // Every byte but a continuation (0b10xx_xxxx) starts a code point.
    let count = bytes.iter().filter(|&&byte| byte & 0xC0 != 0x80).count();
    (count, widest)
}

/// The payload bits of a byte, by its high nibble: 7 for ASCII, 6 for a continuation, 5, 4 or 3
/// for the lead of a 2-, 3- or 4-byte sequence.
const PAYLOAD_BITS: [u8; 16] = [
    0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x3F, 0x3F, 0x3F, 0x3F, 0x1F, 0x1F, 0x0F, 0x07,
];

/// Hands each code point of `text` to `put` with its index, and returns how many there are.
/// Each byte updates the current code point and hands it over again at the same index (so the
/// last call for an index has the whole code point), with no branch on the kind of byte: in
/// mixed text such branches mispredict, which is what makes the usual decoders slow.
pub fn decode_code_points(text: &str, mut put: impl FnMut(usize, u32)) -> usize {
    let mut code_point = 0u32;
    let mut next = 0usize;
    for &byte in text.as_bytes() {
        let continuation = byte & 0xC0 == 0x80;
        let bits = u32::from(byte & PAYLOAD_BITS[usize::from(byte >> 4)]);
        let keep = 0u32.wrapping_sub(u32::from(continuation));
        code_point = (code_point << 6 & keep) | bits;
        // A continuation belongs to the code point before it; `text` being valid UTF-8, it is
        // never the first byte.
        let at = next - usize::from(continuation);
        put(at, code_point);
        next = at + 1;
    }
    next
}

/// The validation state between two pieces of one text: the bytes of a cut character.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a text.
    pub const fn new() -> Self {
        Self {
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// Checks the next piece of the text.
    ///
    /// # Errors
    /// [`WsError::InvalidUtf8`] when the text so far cannot begin any valid UTF-8.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), WsError> {
        if self.pending_len > 0 {
            // Complete the cut character with at most 3 bytes of the new piece, then go on.
            let have = usize::from(self.pending_len);
            let take = piece.len().min(4 - have);
            self.pending[have..have + take].copy_from_slice(&piece[..take]);
            let joined = &self.pending[..have + take];
            match from_utf8(joined) {
                Ok(_) => {
                    self.pending_len = 0;
                    piece = &piece[take..];
                }
                Err(err) if err.valid_up_to() == 0 => {
                    if err.error_len().is_some() {
                        return Err(WsError::InvalidUtf8);
                    }
                    // Still a valid prefix: no character is longer than 4 bytes, so the whole
                    // piece was too short to finish it.
                    self.pending_len = (have + take) as u8;
                    return Ok(());
                }
                Err(err) => {
                    // The cut character is whole; what follows it is scanned with the piece.
                    self.pending_len = 0;
                    piece = &piece[err.valid_up_to() - have..];
                }
            }
        }
        match from_utf8(piece) {
            Ok(_) => Ok(()),
            Err(err) if err.error_len().is_some() => Err(WsError::InvalidUtf8),
            Err(err) => {
                let tail = &piece[err.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// Checks that the text does not end inside a character, and resets for the next text.
    ///
    /// # Errors
    /// [`WsError::InvalidUtf8`] when it does.
    pub fn finish(&mut self) -> Result<(), WsError> {
        let complete = self.pending_len == 0;
        *self = Self::new();
        if complete {
            Ok(())
        } else {
            Err(WsError::InvalidUtf8)
        }
    }

    /// True while a character is cut between two pieces.
    pub const fn is_mid_character(&self) -> bool {
        self.pending_len > 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Feeds `text` in pieces of `step` bytes: `Ok(())` when valid, else the index of the piece
    /// that failed (`pieces` for `finish`).
    fn validate_in_pieces(text: &[u8], step: usize) -> Result<(), usize> {
        let mut validator = Utf8Validator::new();
        for (index, piece) in text.chunks(step).enumerate() {
            validator.feed(piece).map_err(|_| index)?;
        }
        validator.finish().map_err(|_| text.chunks(step).count())
    }

    #[test]
    fn valid_text_passes_whatever_the_split() {
        let text = "κόσμε — 𝄞 ascii €".as_bytes();
        for step in 1..=text.len() {
            assert_eq!(validate_in_pieces(text, step), Ok(()), "step {step}");
        }
    }

    #[test]
    fn invalid_bytes_fail_at_the_piece_that_holds_them() {
        // Autobahn 6.4.1: "κόσμε" then a code point above U+10FFFF, then more text.
        let mut text = "κόσμε".as_bytes().to_vec();
        let bad_at = text.len();
        text.extend_from_slice(b"\xf4\x90\x80\x80edited");
        for step in 1..=8 {
            let failed = validate_in_pieces(&text, step).unwrap_err();
            // \xf4\x90 is already impossible: the failing piece is the one holding \x90.
            assert_eq!(failed, (bad_at + 1) / step, "step {step}");
        }
    }

    #[test]
    fn surrogates_overlongs_and_stray_continuations_fail() {
        for bad in [
            &b"\xed\xa0\x80"[..],
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\x80",
            b"\xff",
            b"a\xf8",
        ] {
            for step in 1..=bad.len() {
                assert!(
                    validate_in_pieces(bad, step).is_err(),
                    "{bad:x?} step {step}"
                );
            }
        }
    }

    fn code_points(text: &str) -> Vec<u32> {
        let (count, _) = code_point_layout(text);
        let mut out = vec![0u32; count];
        assert_eq!(
            decode_code_points(text, |at, code_point| out[at] = code_point),
            count
        );
        out
    }

    #[test]
    fn layout_picks_the_narrowest_kind() {
        assert_eq!(code_point_layout(""), (0, 0x7F));
        assert_eq!(code_point_layout("abc"), (3, 0x7F));
        assert_eq!(code_point_layout("café"), (4, 0xFF));
        assert_eq!(code_point_layout("\u{FF}\u{100}"), (2, 0xFFFF));
        assert_eq!(code_point_layout("日本"), (2, 0xFFFF));
        assert_eq!(code_point_layout("a𝄞"), (2, 0x10_FFFF));
    }

    #[test]
    fn code_points_match_chars() {
        for text in [
            "",
            "ascii",
            "café ÿ",
            "κόσμε é a",
            "日本語 \u{FFFF}",
            "𝄞 \u{10FFFF} é 日 a",
        ] {
            let expected: Vec<u32> = text.chars().map(u32::from).collect();
            assert_eq!(code_points(text), expected, "{text}");
        }
    }

    #[test]
    fn every_code_point_decodes() {
        let all: String = (0..=0x10_FFFFu32).filter_map(char::from_u32).collect();
        let expected: Vec<u32> = all.chars().map(u32::from).collect();
        assert_eq!(code_points(&all), expected);
    }

    #[test]
    fn a_character_cut_at_the_end_fails_only_at_finish() {
        let mut validator = Utf8Validator::new();
        assert_eq!(validator.feed(b"ok\xe2\x82"), Ok(()));
        assert!(validator.is_mid_character());
        assert_eq!(validator.finish(), Err(WsError::InvalidUtf8));
        assert!(
            !validator.is_mid_character(),
            "finish resets for the next text"
        );
    }

    #[test]
    fn a_cut_character_followed_by_more_text_in_one_piece() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xe2").unwrap();
        validator.feed(b"\x82\xacabc\xc3").unwrap();
        validator.feed(b"\xa9").unwrap();
        assert_eq!(validator.finish(), Ok(()));
    }

    #[test]
    fn a_cut_character_then_the_start_of_another_keeps_scanning() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xe2").unwrap();
        // The joined bytes end inside the next character: the rest of the piece still counts.
        assert_eq!(
            validator.feed(b"\x82\xac\xc3\xff"),
            Err(WsError::InvalidUtf8)
        );
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xe2").unwrap();
        validator.feed(b"\x82\xac\xc3\xa9x").unwrap();
        assert_eq!(validator.finish(), Ok(()));
    }

    #[test]
    fn a_cut_character_completed_by_a_bad_byte_fails() {
        let mut validator = Utf8Validator::new();
        validator.feed(b"\xe2\x82").unwrap();
        assert_eq!(validator.feed(b"A"), Err(WsError::InvalidUtf8));
    }
}
