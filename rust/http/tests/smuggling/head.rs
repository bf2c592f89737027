//! Head cases: request line, versions, targets, field syntax, Host, Expect, head limits.

use super::Expect::{Reject, Requests};
use super::{case, limited, Case};
use crate::http::tests::support::{head, post};
use crate::http::{HttpError as E, HttpLimits};

#[allow(clippy::too_many_lines)] // a table: one row per case
pub(super) fn cases() -> Vec<Case> {
    let many_fields: Vec<String> = (0..101).map(|i| format!("X-{i}: {i}")).collect();
    let many: Vec<&str> = many_fields.iter().map(String::as_str).collect();
    let big_fields: Vec<String> = (0..70)
        .map(|i| format!("X-{i}: {}", "v".repeat(1000)))
        .collect();
    let big: Vec<&str> = big_fields.iter().map(String::as_str).collect();
    let long_target = format!("GET /{} HTTP/1.1", "a".repeat(9000));
    let long_field = format!("X: {}", "v".repeat(9000));
    let bare_lf = HttpLimits {
        allow_bare_lf: true,
        ..HttpLimits::default()
    };
    vec![
        case("plain GET", head("GET / HTTP/1.1", &[]), Requests(1)),
        case(
            "two pipelined GETs",
            [head("GET /a HTTP/1.1", &[]), head("GET /b HTTP/1.1", &[])].concat(),
            Requests(2),
        ),
        case(
            "empty lines before the request line",
            [b"\r\n\r\n".to_vec(), head("GET / HTTP/1.1", &[])].concat(),
            Requests(1),
        ),
        case(
            "missing Host in 1.1",
            b"GET / HTTP/1.1\r\n\r\n".to_vec(),
            Reject(E::MissingHost, 400),
        ),
        case(
            "no Host in 1.0 is fine",
            b"GET / HTTP/1.0\r\n\r\n".to_vec(),
            Requests(1),
        ),
        case(
            "duplicate Host",
            head("GET / HTTP/1.1", &["Host: other"]),
            Reject(E::MultipleHost, 400),
        ),
        case(
            "duplicate Host in 1.0",
            b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(),
            Reject(E::MultipleHost, 400),
        ),
        case(
            "Host with a path",
            b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n".to_vec(),
            Reject(E::InvalidHost, 400),
        ),
        case(
            "Host with userinfo",
            b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n".to_vec(),
            Reject(E::InvalidHost, 400),
        ),
        case(
            "HTTP/1.2",
            head("GET / HTTP/1.2", &[]),
            Reject(E::UnsupportedHttpVersion, 505),
        ),
        case(
            "HTTP/2.0",
            head("GET / HTTP/2.0", &[]),
            Reject(E::UnsupportedHttpVersion, 505),
        ),
        case(
            "HTTP/1.10",
            head("GET / HTTP/1.10", &[]),
            Reject(E::InvalidHttpVersion, 400),
        ),
        case(
            "lowercase http/1.1",
            head("GET / http/1.1", &[]),
            Reject(E::InvalidHttpVersion, 400),
        ),
        case(
            "space in target",
            head("GET /a b HTTP/1.1", &[]),
            Reject(E::InvalidHttpVersion, 400),
        ),
        case(
            "absolute-form target",
            head("GET http://example.com/x HTTP/1.1", &[]),
            Requests(1),
        ),
        case(
            "asterisk-form with OPTIONS",
            head("OPTIONS * HTTP/1.1", &[]),
            Requests(1),
        ),
        case(
            "asterisk-form with GET",
            head("GET * HTTP/1.1", &[]),
            Reject(E::InvalidRequestTarget, 400),
        ),
        case(
            "relative target",
            head("GET a/b HTTP/1.1", &[]),
            Reject(E::InvalidRequestTarget, 400),
        ),
        case(
            "CONNECT authority-form",
            head("CONNECT example.com:443 HTTP/1.1", &[]),
            Requests(1),
        ),
        case(
            "CONNECT origin-form",
            head("CONNECT / HTTP/1.1", &[]),
            Reject(E::InvalidRequestTarget, 400),
        ),
        case(
            "CONNECT with content",
            head("CONNECT a:443 HTTP/1.1", &["Content-Length: 2"]),
            Reject(E::ContentInConnect, 400),
        ),
        case(
            "NUL in target",
            head("GET /a\0b HTTP/1.1", &[]),
            Reject(E::InvalidRequestLine, 400),
        ),
        case(
            "UTF-8 in target",
            head("GET /caf\u{e9} HTTP/1.1", &[]),
            Reject(E::InvalidRequestTarget, 400),
        ),
        case(
            "two spaces after the method",
            head("GET  / HTTP/1.1", &[]),
            Reject(E::InvalidRequestLine, 400),
        ),
        case(
            "tab as delimiter",
            head("GET\t/ HTTP/1.1", &[]),
            Reject(E::InvalidRequestLine, 400),
        ),
        case(
            "whitespace before the method",
            head(" GET / HTTP/1.1", &[]),
            Reject(E::InvalidRequestLine, 400),
        ),
        case(
            "space after the version",
            head("GET / HTTP/1.1 ", &[]),
            Reject(E::InvalidHttpVersion, 400),
        ),
        case(
            "bare CR ends the request line",
            b"GET / HTTP/1.1\rHost: a\r\n\r\n".to_vec(),
            Reject(E::InvalidLineEnding, 400),
        ),
        case(
            "bare LF head",
            b"GET / HTTP/1.1\nHost: a\n\n".to_vec(),
            Reject(E::BareLineFeed, 400),
        ),
        limited(
            "bare LF head when allowed",
            b"GET / HTTP/1.1\nHost: a\n\n".to_vec(),
            bare_lf,
            Requests(1),
        ),
        case(
            "bare LF inside a value",
            head("GET / HTTP/1.1", &["X: a\nTransfer-Encoding: chunked"]),
            Reject(E::BareLineFeed, 400),
        ),
        case(
            "bare CR inside a value",
            head("GET / HTTP/1.1", &["X: a\rTransfer-Encoding: chunked"]),
            Reject(E::InvalidFieldValue, 400),
        ),
        case(
            "CR starting a field line",
            head("GET / HTTP/1.1", &["X: a", "\rTransfer-Encoding: chunked"]),
            Reject(E::InvalidLineEnding, 400),
        ),
        case(
            "space before the colon",
            post(&["Transfer-Encoding : chunked"], b"0\r\n\r\n"),
            Reject(E::InvalidFieldName, 400),
        ),
        case(
            "obs-fold",
            head("GET / HTTP/1.1", &["X: a", " b"]),
            Reject(E::ObsoleteLineFolding, 400),
        ),
        case(
            "obs-fold in Transfer-Encoding",
            post(&["Transfer-Encoding:", " chunked"], b"0\r\n\r\n"),
            Reject(E::ObsoleteLineFolding, 400),
        ),
        case(
            "NUL in a value",
            head("GET / HTTP/1.1", &["X: a\0b"]),
            Reject(E::InvalidFieldValue, 400),
        ),
        case(
            "DEL in a value",
            head("GET / HTTP/1.1", &["X: a\x7fb"]),
            Reject(E::InvalidFieldValue, 400),
        ),
        case(
            "SOH in a value",
            head("GET / HTTP/1.1", &["X: a\x01b"]),
            Reject(E::InvalidFieldValue, 400),
        ),
        case(
            "HTAB in a value is fine",
            head("GET / HTTP/1.1", &["X: a\tb"]),
            Requests(1),
        ),
        case(
            "bare CR in the target",
            head("GET /a\rb HTTP/1.1", &[]),
            Reject(E::InvalidRequestLine, 400),
        ),
        case(
            "bare CR in a name",
            head("GET / HTTP/1.1", &["X\r: y"]),
            Reject(E::InvalidFieldName, 400),
        ),
        case(
            "obs-text in a value is kept",
            head("GET / HTTP/1.1", &["X: caf\u{e9}"]),
            Requests(1),
        ),
        case(
            "separator in a name",
            head("GET / HTTP/1.1", &["X(y): z"]),
            Reject(E::InvalidFieldName, 400),
        ),
        case(
            "empty name",
            head("GET / HTTP/1.1", &[": z"]),
            Reject(E::InvalidFieldName, 400),
        ),
        case(
            "Expect: 100-continue",
            post(&["Content-Length: 2", "Expect: 100-continue"], b"hi"),
            Requests(1),
        ),
        case(
            "unknown expectation",
            head("GET / HTTP/1.1", &["Expect: teapot"]),
            Reject(E::UnsupportedExpectation, 417),
        ),
        case(
            "expectation ignored in 1.0",
            b"GET / HTTP/1.0\r\nExpect: teapot\r\n\r\n".to_vec(),
            Requests(1),
        ),
        case(
            "request line too long",
            head(&long_target, &[]),
            Reject(E::RequestLineTooLong, 414),
        ),
        case(
            "field line too long",
            head("GET / HTTP/1.1", &[&long_field]),
            Reject(E::FieldLineTooLong, 431),
        ),
        case(
            "too many fields",
            head("GET / HTTP/1.1", &many),
            Reject(E::TooManyFields, 431),
        ),
        case(
            "head too large",
            head("GET / HTTP/1.1", &big),
            Reject(E::HeadTooLarge, 431),
        ),
        case(
            "upgrade pauses",
            head(
                "GET /ws HTTP/1.1",
                &["Connection: Upgrade", "Upgrade: websocket"],
            ),
            Requests(1),
        ),
        case(
            "truncated head",
            b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec(),
            Reject(E::IncompleteMessage, 400),
        ),
    ]
}
