//! Field lines (RFC 9110 §5, RFC 9112 §5): the `Fields` block and the small grammar helpers.
//!
//! A field line is `field-name ":" OWS field-value OWS`. Names are tokens and compare
//! case-insensitively; values are bytes, which Python sees latin-1 decoded ("Historically, HTTP
//! allowed field content with text in the ISO-8859-1 charset", RFC 9110 §5.5). The surrounding OWS
//! is not part of the value.

use std::ops::Range;

/// Where one field line's name and value sit in a `Fields` buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    name_start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
}

impl FieldSpan {
    /// The span of a name and a value inside a buffer.
    pub fn new(name: Range<usize>, value: Range<usize>) -> Self {
        Self {
            name_start: name.start,
            name_end: name.end,
            value_start: value.start,
            value_end: value.end,
        }
    }
}

/// A block of field lines (a header or trailer section) that owns its bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    bytes: Vec<u8>,
    spans: Vec<FieldSpan>,
    ascii: bool,
}

impl Fields {
    /// Fields over `bytes`: each span must lie inside `bytes`, names must be tokens.
    pub(crate) fn new(bytes: Vec<u8>, spans: Vec<FieldSpan>) -> Self {
        let ascii = bytes.is_ascii();
        Self {
            bytes,
            spans,
            ascii,
        }
    }

    /// Fields copied from httparse's view of `base`, whose slices all point into `base`.
    pub(crate) fn from_httparse(base: &[u8], parsed: &[httparse::Header<'_>]) -> Self {
        let origin = base.as_ptr() as usize;
        let spans = parsed
            .iter()
            .map(|h| {
                let name = h.name.as_ptr() as usize - origin;
                let value = h.value.as_ptr() as usize - origin;
                FieldSpan::new(name..name + h.name.len(), value..value + h.value.len())
            })
            .collect();
        Self::new(base.to_vec(), spans)
    }

    /// The buffer the spans point into.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether every byte of the buffer is ASCII (then every value is its own latin-1 text).
    pub fn is_ascii(&self) -> bool {
        self.ascii
    }

    /// How many field lines there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no field lines.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The name of field `i`, as sent (a token, so ASCII).
    ///
    /// # Panics
    /// If `i` is not below `len()`.
    pub fn name(&self, i: usize) -> &str {
        std::str::from_utf8(self.name_bytes(i)).unwrap_or_default()
    }

    /// The name of field `i` as bytes.
    ///
    /// # Panics
    /// If `i` is not below `len()`.
    pub fn name_bytes(&self, i: usize) -> &[u8] {
        let s = self.spans[i];
        &self.bytes[s.name_start..s.name_end]
    }

    /// The value of field `i`, OWS trimmed.
    ///
    /// # Panics
    /// If `i` is not below `len()`.
    pub fn value(&self, i: usize) -> &[u8] {
        let s = self.spans[i];
        &self.bytes[s.value_start..s.value_end]
    }

    /// Every (name, value) in arrival order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &[u8])> + '_ {
        (0..self.spans.len()).map(|i| (self.name(i), self.value(i)))
    }

    /// The values of every field called `name` (case-insensitive), in arrival order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        (0..self.spans.len())
            .filter(move |&i| self.name_bytes(i).eq_ignore_ascii_case(name.as_bytes()))
            .map(|i| self.value(i))
    }

    /// The first value of the field called `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        (0..self.spans.len())
            .find(|&i| self.name_bytes(i).eq_ignore_ascii_case(name.as_bytes()))
            .map(|i| self.value(i))
    }
}

/// Whether `b` is a `tchar` (RFC 9110 §5.6.2).
pub fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z'
        | b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
        | b'|' | b'~')
}

/// Whether `s` is a `token`: one or more `tchar`.
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `b` may appear in a field value: VCHAR, obs-text, SP or HTAB (RFC 9110 §5.5).
pub fn is_field_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b != 0x7f)
}

/// `s` without leading and trailing OWS (SP and HTAB).
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// The non-empty elements of a `#element` list (RFC 9110 §5.6.1): split on commas, OWS trimmed.
/// "A recipient MUST parse and ignore a reasonable number of empty list elements."
pub fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// `bytes` decoded as latin-1 (each byte is the code point of the same value).
pub fn latin1_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_drop_empty_elements_and_ows() {
        let got: Vec<&[u8]> = list_elements(b" a ,, b\t,").collect();
        assert_eq!(got, [&b"a"[..], b"b"]);
        assert_eq!(list_elements(b" , ").count(), 0);
    }

    #[test]
    fn trim_ows_keeps_inner_whitespace() {
        assert_eq!(trim_ows(b" \ta b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn fields_compare_names_case_insensitively() {
        let bytes = b"Host: a\r\nhost: b\r\n".to_vec();
        let spans = vec![FieldSpan::new(0..4, 6..7), FieldSpan::new(9..13, 15..16)];
        let fields = Fields::new(bytes, spans);
        assert_eq!(fields.get("HOST"), Some(&b"a"[..]));
        assert_eq!(fields.get_all("host").count(), 2);
        assert_eq!(fields.get("x"), None);
    }

    #[test]
    fn latin1_maps_each_byte_to_its_code_point() {
        assert_eq!(latin1_to_string(b"caf\xe9"), "caf\u{e9}");
    }
}
