//! The `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): a comma-separated list of extensions,
//! each a token with `;`-separated parameters, a parameter's value a token or a quoted string
//! whose unescaped content is a token. Several header fields form one list; empty list elements
//! and optional whitespace around separators are allowed (RFC 9110 §5.6.1).

use std::borrow::Cow;
use std::fmt;

/// One element of the list: an extension's name and its parameters in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension<'a> {
    /// The extension's token, such as `permessage-deflate`.
    pub name: &'a str,
    /// The parameters: name and value, if any (unquoted).
    pub params: Vec<(&'a str, Option<Cow<'a, str>>)>,
}

/// The header does not follow the grammar; the message says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What was expected, and at which byte of which field.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// RFC 9110 §5.6.2: `tchar`.
const fn is_tchar(byte: u8) -> bool {
    matches!(byte,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`'
        | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// True for a non-empty token.
pub fn is_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_tchar)
}

/// A cursor over one header field value.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
    field: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn error(&self, expected: &str) -> SyntaxError {
        SyntaxError {
            message: format!(
                "Sec-WebSocket-Extensions: expected {expected} at byte {} of field {}",
                self.at,
                self.field + 1
            ),
        }
    }

    fn token(&mut self, what: &str) -> Result<&'a str, SyntaxError> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error(what));
        }
        Ok(&self.text[start..self.at])
    }

    /// A quoted string (the cursor on its opening quote), unescaped; it must hold a token.
    fn quoted(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.at += 1;
        let start = self.at;
        let mut unescaped: Option<String> = None;
        loop {
            match self.peek() {
                Some(b'"') => break,
                Some(b'\\') => {
                    let text = unescaped.get_or_insert_with(|| self.text[start..self.at].into());
                    self.at += 1;
                    match self.peek() {
                        Some(byte) if byte.is_ascii_graphic() || byte == b' ' || byte == b'\t' => {
                            text.push(char::from(byte));
                            self.at += 1;
                        }
                        _ => return Err(self.error("an escaped character")),
                    }
                }
                Some(byte) if byte.is_ascii_graphic() || byte == b' ' || byte == b'\t' => {
                    if let Some(text) = &mut unescaped {
                        text.push(char::from(byte));
                    }
                    self.at += 1;
                }
                _ => return Err(self.error("a closing quote")),
            }
        }
        let value = match unescaped {
            Some(text) => Cow::Owned(text),
            None => Cow::Borrowed(&self.text[start..self.at]),
        };
        self.at += 1;
        if !is_token(&value) {
            return Err(self.error("a quoted value that is a token"));
        }
        Ok(value)
    }

    fn extension(&mut self) -> Result<Extension<'a>, SyntaxError> {
        let name = self.token("an extension name")?;
        let mut params = Vec::new();
        loop {
            self.skip_ows();
            if self.peek() != Some(b';') {
                return Ok(Extension { name, params });
            }
            self.at += 1;
            self.skip_ows();
            let param = self.token("a parameter name")?;
            self.skip_ows();
            let value = if self.peek() == Some(b'=') {
                self.at += 1;
                self.skip_ows();
                Some(if self.peek() == Some(b'"') {
                    self.quoted()?
                } else {
                    Cow::Borrowed(self.token("a parameter value")?)
                })
            } else {
                None
            };
            params.push((param, value));
        }
    }
}

/// Parses the values of every `Sec-WebSocket-Extensions` field, in order, as one list.
///
/// # Errors
/// The first place where the grammar is broken.
pub fn parse_extensions<'a>(fields: &[&'a str]) -> Result<Vec<Extension<'a>>, SyntaxError> {
    let mut list = Vec::new();
    for (field, text) in fields.iter().enumerate() {
        let mut cursor = Cursor { text, at: 0, field };
        loop {
            cursor.skip_ows();
            match cursor.peek() {
                None => break,
                Some(b',') => {
                    cursor.at += 1;
                    continue;
                }
                Some(_) => {}
            }
            list.push(cursor.extension()?);
            cursor.skip_ows();
            match cursor.peek() {
                None => break,
                Some(b',') => cursor.at += 1,
                Some(_) => return Err(cursor.error("',' or ';'")),
            }
        }
    }
    Ok(list)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    type Param = (String, Option<String>);
    type Parsed = Vec<(String, Vec<Param>)>;

    fn names_and_params(fields: &[&str]) -> Parsed {
        parse_extensions(fields)
            .unwrap()
            .into_iter()
            .map(|ext| {
                let params = ext
                    .params
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.map(Cow::into_owned)))
                    .collect();
                (ext.name.to_owned(), params)
            })
            .collect()
    }

    fn p(name: &str, value: Option<&str>) -> Param {
        (name.to_owned(), value.map(str::to_owned))
    }

    #[test]
    fn lists_params_and_values_parse() {
        let table: &[(&[&str], Parsed)] = &[
            (
                &["permessage-deflate"],
                vec![("permessage-deflate".into(), vec![])],
            ),
            (
                &["permessage-deflate; client_max_window_bits"],
                vec![(
                    "permessage-deflate".into(),
                    vec![p("client_max_window_bits", None)],
                )],
            ),
            (
                &["a; p1; p2=v, b"],
                vec![
                    ("a".into(), vec![p("p1", None), p("p2", Some("v"))]),
                    ("b".into(), vec![]),
                ],
            ),
            (
                &[" x ;\tq = 10 ,, ", "y;v=\"1\\5\""],
                vec![
                    ("x".into(), vec![p("q", Some("10"))]),
                    ("y".into(), vec![p("v", Some("15"))]),
                ],
            ),
            (&["", " , "], vec![]),
        ];
        for (fields, expected) in table {
            assert_eq!(&names_and_params(fields), expected, "{fields:?}");
        }
    }

    #[test]
    fn grammar_errors_are_reported() {
        for bad in [
            "permessage-deflate;",
            "permessage-deflate; =1",
            "a b",
            "a; p=",
            "a; p=\"unterminated",
            "a; p=\"two words\"",
            "a; p=\"\"",
            "a; p=1=2",
            "é",
            "a;; b",
        ] {
            assert!(parse_extensions(&[bad]).is_err(), "{bad:?}");
        }
        let err = parse_extensions(&["ok", "a b"]).unwrap_err();
        assert_eq!(
            err.message,
            "Sec-WebSocket-Extensions: expected ',' or ';' at byte 2 of field 2"
        );
    }
}
