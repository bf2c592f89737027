//! Header field parameters, split by our own code: no regex, one pass, no backtracking (the
//! regexes of python-multipart and multipart (defnull) were `ReDoS` CVEs, peers.md Part B §1.2).
//!
//! ```text
//! value     = lead *( OWS ";" OWS [ parameter ] )      ; RFC 9110 §5.6.6, RFC 6266 §4.1
//! parameter = token BWS "=" BWS ( unquoted / quoted-string )
//! unquoted  = 1*( %x21 / %x23-3A / %x3C-7E / obs-text ) ; any visible byte but DQUOTE and ";"
//! ```
//! Empty parameters (`;;`, a trailing `;`) are skipped, as RFC 9110 asks. An unquoted value may
//! hold the few separators that a token may not (`=`, `/`, `:` ...), because real boundaries such
//! as `JavaMail`'s `----=_Part_0` are sent unquoted.
//!
//! Quoted strings follow what senders actually do. Browsers (WHATWG HTML, "multipart/form-data
//! encoding algorithm") never send a quoted-pair: they write `"`, CR and LF in names and
//! filenames as `%22`, `%0D`, `%0A` and leave backslashes alone; httpx, urllib3, curl and older
//! Firefox write `\"` and `\\`. So inside a quoted string `\"` is a quote and `\\` a backslash,
//! and any other backslash is kept as sent. Percent sequences are kept as sent too: `%` itself is
//! not escaped, so decoding them would be ambiguous, and no browser's own form parser decodes
//! them. A lone `\` before the closing quote escapes it, so the string runs on: a name can never
//! end where one parser thinks and go on where another does.

use std::borrow::Cow;

use crate::http::headers::is_tchar;

/// One `name=value` parameter, its value unquoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Param<'a> {
    /// The name as sent; compare it case-insensitively.
    pub(crate) name: &'a [u8],
    /// The value, quotes and quoted-pairs removed.
    pub(crate) value: Cow<'a, [u8]>,
    /// Whether the value was a quoted string.
    pub(crate) quoted: bool,
}

/// The part before the first `;` (OWS trimmed) and an iterator over the parameters after it.
pub(crate) fn split(value: &[u8]) -> (&[u8], Params<'_>) {
    let end = memchr::memchr(b';', value).unwrap_or(value.len());
    let lead = crate::http::headers::trim_ows(&value[..end]);
    (
        lead,
        Params {
            rest: &value[end..],
        },
    )
}

/// The parameters of a field value; yields `Err(())` once, at the first malformed byte.
pub(crate) struct Params<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Params<'a> {
    type Item = Result<Param<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = skip_ows(self.rest);
            match rest.first() {
                None => return None,
                Some(b';') => {}
                Some(_) => return Some(self.fail()),
            }
            let rest = skip_ows(&rest[1..]);
            match rest.first() {
                None => {
                    self.rest = rest;
                    return None;
                }
                Some(b';') => {
                    self.rest = rest;
                    continue;
                }
                Some(_) => {}
            }
            return Some(self.param(rest));
        }
    }
}

impl<'a> Params<'a> {
    fn fail(&mut self) -> Result<Param<'a>, ()> {
        self.rest = b"";
        Err(())
    }

    /// The parameter at the start of `rest`; leaves `rest` after its value.
    fn param(&mut self, rest: &'a [u8]) -> Result<Param<'a>, ()> {
        let name_len = rest
            .iter()
            .position(|&b| !is_tchar(b))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        let after = skip_ows(after);
        if name.is_empty() || after.first() != Some(&b'=') {
            return self.fail();
        }
        let after = skip_ows(&after[1..]);
        let parsed = if after.first() == Some(&b'"') {
            quoted_string(&after[1..]).map(|(value, used)| (value, true, 1 + used))
        } else {
            unquoted(after).map(|len| (Cow::Borrowed(&after[..len]), false, len))
        };
        let Some((value, quoted, used)) = parsed else {
            return self.fail();
        };
        self.rest = &after[used..];
        Ok(Param {
            name,
            value,
            quoted,
        })
    }
}

fn skip_ows(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(s.len());
    &s[n..]
}

/// The length of the unquoted value at the start of `s`, if there is one.
fn unquoted(s: &[u8]) -> Option<usize> {
    let len = s
        .iter()
        .position(|&b| !(b > b' ' && b != 0x7f && b != b'"' && b != b';'))
        .unwrap_or(s.len());
    (len > 0).then_some(len)
}

/// The content of the quoted string whose opening quote precedes `s`, and the bytes it takes
/// with its closing quote; `None` when it is unterminated or holds a control character.
fn quoted_string(s: &[u8]) -> Option<(Cow<'_, [u8]>, usize)> {
    let mut i = 0;
    let mut owned: Option<Vec<u8>> = None;
    while i < s.len() {
        let b = s[i];
        match b {
            b'"' => {
                let value = owned.map_or(Cow::Borrowed(&s[..i]), Cow::Owned);
                return Some((value, i + 1));
            }
            b'\\' if matches!(s.get(i + 1), Some(b'"' | b'\\')) => {
                owned.get_or_insert_with(|| s[..i].to_vec()).push(s[i + 1]);
                i += 2;
                continue;
            }
            _ if b < b' ' && b != b'\t' || b == 0x7f => return None,
            _ => {}
        }
        if let Some(out) = owned.as_mut() {
            out.push(b);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lead and its (name, value) parameters, owned.
    type Split = (Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>);

    fn params(value: &[u8]) -> Result<Split, ()> {
        let (lead, params) = split(value);
        let params = params
            .map(|p| p.map(|p| (p.name.to_vec(), p.value.into_owned())))
            .collect::<Result<_, _>>()?;
        Ok((lead.to_vec(), params))
    }

    fn pair(name: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
        (name.as_bytes().to_vec(), value.as_bytes().to_vec())
    }

    #[test]
    fn splits_tokens_and_quoted_strings() {
        let got = params(br#"form-data; name="a b"; filename=x.txt ;; "#);
        assert_eq!(
            got,
            Ok((
                b"form-data".to_vec(),
                vec![pair("name", "a b"), pair("filename", "x.txt")]
            ))
        );
        assert_eq!(params(b"text/plain"), Ok((b"text/plain".to_vec(), vec![])));
        assert_eq!(
            params(b"multipart/x; boundary=----=_Part_0/1:2"),
            Ok((
                b"multipart/x".to_vec(),
                vec![pair("boundary", "----=_Part_0/1:2")]
            ))
        );
        assert_eq!(
            params(b"a; n = v"),
            Ok((b"a".to_vec(), vec![pair("n", "v")]))
        );
    }

    #[test]
    fn quoted_pairs_only_for_quote_and_backslash() {
        let got = params(br#"x; a="q\"q"; b="s\\s"; c="C:\path\%22""#);
        assert_eq!(
            got,
            Ok((
                b"x".to_vec(),
                vec![
                    pair("a", "q\"q"),
                    pair("b", "s\\s"),
                    pair("c", r"C:\path\%22")
                ]
            ))
        );
    }

    #[test]
    fn a_decoy_inside_a_quoted_string_is_not_a_parameter() {
        let got = params(br#"form-data; name="x; filename=evil.php"; filename="safe.txt""#);
        assert_eq!(
            got,
            Ok((
                b"form-data".to_vec(),
                vec![
                    pair("name", "x; filename=evil.php"),
                    pair("filename", "safe.txt")
                ]
            ))
        );
    }

    #[test]
    fn malformed_parameters_fail() {
        for value in [
            &br#"x; name="unterminated"#[..],
            br#"x; name="ends in escape\""#,
            b"x; name",
            b"x; =v",
            b"x; name=",
            b"x; name=a b",
            br#"x; name="a"b"#,
            b"x; name=\"a\x01\"",
            b"x; n\xe9=v",
        ] {
            assert_eq!(
                params(value),
                Err(()),
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }
}
