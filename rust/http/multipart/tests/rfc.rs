//! Valid bodies, from RFC 2046 / RFC 7578 and from what browsers and HTTP libraries send.

use super::support::{body, field, scan_every_split, Seen};
use crate::http::multipart::MultipartLimits;

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

#[test]
fn rfc_2046_example_with_preamble_epilogue_and_a_headerless_part() {
    let wire = crlf(
        "This is the preamble.  It is to be ignored, though it\n\
         is a handy place for composition agents to include an\n\
         explanatory note to non-MIME conformant readers.\n\
         \n\
         --simple boundary\n\
         \n\
         This is implicitly typed plain US-ASCII text.\n\
         It does NOT end with a linebreak.\n\
         --simple boundary\n\
         Content-type: text/plain; charset=us-ascii\n\
         \n\
         This is explicitly typed plain US-ASCII text.\n\
         It DOES end with a linebreak.\n\
         \n\
         --simple boundary--\n\
         \n\
         This is the epilogue.  It is also to be ignored.\n",
    );
    let out = scan_every_split("simple boundary", &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(
        out.events.first(),
        Some(&Seen::Preamble(crlf(
            "This is the preamble.  It is to be ignored, though it\n\
             is a handy place for composition agents to include an\n\
             explanatory note to non-MIME conformant readers.\n"
        )))
    );
    assert_eq!(
        out.events.last(),
        Some(&Seen::Epilogue(crlf(
            "\nThis is the epilogue.  It is also to be ignored.\n"
        )))
    );
    let parts = out.parts();
    assert_eq!(
        parts[0].2,
        crlf("This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.")
    );
    assert_eq!(
        parts[1].2,
        crlf("This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n")
    );
    let heads = out.heads();
    assert!(heads[0].fields().is_empty());
    assert_eq!(heads[1].content_type(), Some("text/plain"));
    assert_eq!(heads[1].charset(), Some("us-ascii"));
}

#[test]
fn rfc_7578_form_with_charset_and_a_file() {
    let wire = crlf(
        "--AaB03x\n\
         content-disposition: form-data; name=\"field1\"\n\
         content-type: text/plain;charset=UTF-8\n\
         content-transfer-encoding: quoted-printable\n\
         \n\
         Joe owes =E2=82=AC100.\n\
         --AaB03x\n\
         Content-Disposition: form-data; name=\"pics\"; filename=\"file1.txt\"\n\
         Content-Type: text/plain\n\
         \n\
         ... contents of file1.txt ...\n\
         --AaB03x--\n",
    );
    let out = scan_every_split("AaB03x", &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(
        out.parts(),
        vec![
            (
                Some("field1".into()),
                None,
                b"Joe owes =E2=82=AC100.".to_vec()
            ),
            (
                Some("pics".into()),
                Some("file1.txt".into()),
                b"... contents of file1.txt ...".to_vec()
            ),
        ]
    );
    let heads = out.heads();
    assert_eq!(heads[0].charset(), Some("utf-8"));
    assert_eq!(heads[0].disposition(), Some("form-data"));
    assert_eq!(heads[0].fields().len(), 3);
}

#[test]
fn a_browser_form_with_an_empty_file_and_utf8_names() {
    let boundary = "----WebKitFormBoundaryl3cEJW9r0LR7hVd6";
    let wire = body(
        boundary,
        &[
            (&[&field("caf\u{e9}")], "cr\u{e8}me".as_bytes()),
            (
                &[
                    "Content-Disposition: form-data; name=\"upload\"; filename=\"\u{1f600}.bin\"",
                    "Content-Type: application/octet-stream",
                ],
                b"",
            ),
            (&[&field("empty")], b""),
        ],
    );
    let out = scan_every_split(boundary, &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(
        out.parts(),
        vec![
            (
                Some("caf\u{e9}".into()),
                None,
                "cr\u{e8}me".as_bytes().to_vec()
            ),
            (
                Some("upload".into()),
                Some("\u{1f600}.bin".into()),
                Vec::new()
            ),
            (Some("empty".into()), None, Vec::new()),
        ]
    );
}

#[test]
fn content_keeps_everything_that_is_not_a_delimiter_at_a_line_start() {
    let tricky: &[u8] = b"x--XYZ mid-line\r\n--XY short\r\n--XYx\r\n\r\n-\r";
    let wire = body(
        "XYZ",
        &[(&[&field("a")], tricky), (&[&field("b")], b"\r\n--XY")],
    );
    let out = scan_every_split("XYZ", &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    let contents: Vec<Vec<u8>> = out.parts().into_iter().map(|p| p.2).collect();
    assert_eq!(contents, vec![tricky.to_vec(), b"\r\n--XY".to_vec()]);
}

#[test]
fn empty_parts_and_a_body_without_parts() {
    let out = scan_every_split(
        "b",
        b"--b\r\n\r\n--b\r\n\r\n\r\n--b--",
        MultipartLimits::default(),
    );
    assert_eq!(out.error, None);
    assert_eq!(
        out.events,
        vec![
            Seen::Begin(out.heads()[0].clone().into()),
            Seen::End,
            Seen::Begin(out.heads()[1].clone().into()),
            Seen::End
        ]
    );
    assert!(out.heads().iter().all(|h| h.fields().is_empty()));
    let out = scan_every_split("b", b"--b--\r\n", MultipartLimits::default());
    assert_eq!((out.events, out.error), (vec![], None));
    let out = scan_every_split("b", b"--b--", MultipartLimits::default());
    assert_eq!((out.events, out.error), (vec![], None));
}

#[test]
fn headers_followed_directly_by_the_delimiter_give_empty_content() {
    let wire = format!("--b\r\n{}\r\n\r\n--b--\r\n", field("a"));
    let out = scan_every_split("b", wire.as_bytes(), MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(out.parts(), vec![(Some("a".into()), None, Vec::new())]);
}

#[test]
fn transport_padding_after_delimiters() {
    let wire = format!(
        "--b \t\r\n{}\r\n\r\nv\r\n--b\t\r\n{}\r\n\r\nw\r\n--b-- \r\n",
        field("a"),
        field("c")
    );
    let out = scan_every_split("b", wire.as_bytes(), MultipartLimits::default());
    assert_eq!(out.error, None);
    let contents: Vec<Vec<u8>> = out.parts().into_iter().map(|p| p.2).collect();
    assert_eq!(contents, vec![b"v".to_vec(), b"w".to_vec()]);
}

#[test]
fn part_content_length_is_not_framing() {
    let wire = body(
        "b",
        &[(&[&field("a"), "Content-Length: 2"], b"longer than two")],
    );
    let out = scan_every_split("b", &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(out.parts()[0].2, b"longer than two");
}

#[test]
fn binary_content_with_every_byte_value() {
    let content: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let wire = body(
        "0123456789abcdef",
        &[(
            &[&field("f"), "Content-Type: application/octet-stream"],
            &content,
        )],
    );
    let out = scan_every_split("0123456789abcdef", &wire, MultipartLimits::default());
    assert_eq!(out.error, None);
    assert_eq!(out.parts()[0].2, content);
}

#[test]
fn bare_lf_header_lines_only_when_allowed() {
    let wire = format!("--b\r\n{}\n\nv\r\n--b--", field("a"));
    let strict = scan_every_split("b", wire.as_bytes(), MultipartLimits::default());
    assert_eq!(
        strict.error,
        Some(crate::http::multipart::MultipartError::BareLineFeed)
    );
    let lenient = MultipartLimits {
        allow_bare_lf: true,
        ..MultipartLimits::default()
    };
    let out = scan_every_split("b", wire.as_bytes(), lenient);
    assert_eq!(out.error, None);
    assert_eq!(out.parts(), vec![(Some("a".into()), None, b"v".to_vec())]);
}

#[test]
fn filename_star_is_decoded_beside_the_plain_filename() {
    let wire = body(
        "b",
        &[(
            &["Content-Disposition: form-data; name=\"f\"; filename=\"safe.txt\"; filename*=UTF-8''%e2%82%ac.php"],
            b"x",
        )],
    );
    let out = scan_every_split("b", &wire, MultipartLimits::default());
    let head = out.heads()[0];
    assert_eq!(head.filename(), Some("safe.txt"));
    assert_eq!(head.filename_star(), Some("\u{20ac}.php"));
}
