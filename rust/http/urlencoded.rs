//! The byte work of `application/x-www-form-urlencoded` (WHATWG URL standard, "urlencoded
//! parsing"): one name or value decoded in one pass, so that no Python loop runs per `%`.
//!
//! Splitting on `&` and `=`, the limits and the UTF-8 check stay with the caller: they are
//! C-speed `bytes` operations there. Here, `+` is a space and `%` followed by two hex digits is
//! the byte they name; any other `%` is kept as sent, as the standard's percent-decode says.

use memchr::memchr2;

/// `input` decoded: `+` as SP, `%XX` as the byte `0xXX`, every other byte as is.
pub fn form_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = memchr2(b'+', b'%', rest) {
        out.extend_from_slice(&rest[..at]);
        if rest[at] == b'+' {
            out.push(b' ');
            rest = &rest[at + 1..];
            continue;
        }
        let digits = (
            rest.get(at + 1).copied().and_then(hex),
            rest.get(at + 2).copied().and_then(hex),
        );
        if let (Some(high), Some(low)) = digits {
            out.push((high << 4) | low);
            rest = &rest[at + 3..];
        } else {
            out.push(b'%');
            rest = &rest[at + 1..];
        }
    }
    out.extend_from_slice(rest);
    out
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_and_percent_sequences_decode() {
        assert_eq!(form_decode(b"caf%C3%a9+au+lait"), "café au lait".as_bytes());
        assert_eq!(form_decode(b"%2B%25%26%3D"), b"+%&=");
        assert_eq!(form_decode(b"raw \xff bytes"), b"raw \xff bytes");
        assert_eq!(form_decode(b""), b"");
    }

    #[test]
    fn a_malformed_percent_is_kept_as_sent() {
        assert_eq!(form_decode(b"100%"), b"100%");
        assert_eq!(form_decode(b"%4"), b"%4");
        assert_eq!(form_decode(b"%zz%4g%%41"), b"%zz%4g%A");
        assert_eq!(form_decode(b"%+"), b"% ");
    }
}
