//! Every failure mode of peers.md Part B, and the other ways a body breaks RFC 2046 / 7578: each
//! body fails with its error, after the same events, however it is split.

use super::support::{body, field, scan_every_split, scan_pieces, Seen};
use crate::http::multipart::{MultipartError, MultipartLimits};

fn fails(boundary: &str, wire: &[u8], limits: MultipartLimits, error: MultipartError) {
    let out = scan_every_split(boundary, wire, limits);
    assert_eq!(
        out.error,
        Some(error),
        "{:?}",
        String::from_utf8_lossy(&wire[..wire.len().min(200)])
    );
}

fn default() -> MultipartLimits {
    MultipartLimits::default()
}

#[test]
fn truncated_bodies_fail_at_every_cut() {
    let wire = body(
        "b",
        &[
            (&[&field("a")], b"one"),
            (&[&field("f"), "Content-Type: x/y"], b"two"),
        ],
    );
    let close = wire.len() - b"--\r\n".len();
    for len in 0..wire.len() {
        let out = scan_pieces("b", &wire[..len], &[], default());
        let expected = match len {
            0..=2 => Some(MultipartError::NoDelimiter),
            _ if len == close + 2 => None,
            _ => Some(MultipartError::Truncated),
        };
        assert_eq!(out.error, expected, "prefix of {len} bytes");
    }
    assert_eq!(
        scan_pieces("b", b"", &[], default()).error,
        Some(MultipartError::NoDelimiter)
    );
}

#[test]
fn a_body_without_delimiters_is_an_error_not_a_preamble() {
    fails(
        "b",
        b"no boundary here\r\n-b\r\n",
        default(),
        MultipartError::NoDelimiter,
    );
    fails(
        "b",
        b"x--b\r\n\r\n-b--",
        default(),
        MultipartError::NoDelimiter,
    );
}

#[test]
fn header_bombs_stop_at_their_limit() {
    let long_line = format!("X-Long: {}", "a".repeat(5000));
    fails(
        "b",
        &body("b", &[(&[&long_line], b"")]),
        default(),
        MultipartError::HeaderLineTooLong,
    );
    let many: Vec<String> = (0..9).map(|i| format!("X-{i}: v")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    fails(
        "b",
        &body("b", &[(&many, b"")]),
        default(),
        MultipartError::TooManyHeaders,
    );
    let big: Vec<String> = (0..3)
        .map(|i| format!("X-{i}: {}", "v".repeat(3000)))
        .collect();
    let big: Vec<&str> = big.iter().map(String::as_str).collect();
    fails(
        "b",
        &body("b", &[(&big, b"")]),
        default(),
        MultipartError::HeadersTooLarge,
    );
    // A 4 MiB header line is refused at its 4224th byte, never buffered.
    let mut bomb = b"--b\r\nX: ".to_vec();
    bomb.resize(4 << 20, b'a');
    let out = scan_pieces("b", &bomb, &[], default());
    assert_eq!(out.error, Some(MultipartError::HeaderLineTooLong));
}

#[test]
fn part_header_lines_follow_the_http_field_rules() {
    for (line, error) in [
        (" folded: x", MultipartError::ObsoleteLineFolding),
        ("Name : x", MultipartError::InvalidHeaderName),
        ("No colon", MultipartError::InvalidHeaderName),
        ("Bad\u{1}: x", MultipartError::InvalidHeaderName),
        ("X: a\rb", MultipartError::InvalidHeaderValue),
        ("X: a\u{0}b", MultipartError::InvalidHeaderValue),
    ] {
        let wire = format!("--b\r\n{}\r\n{line}\r\n\r\nv\r\n--b--", field("a"));
        fails("b", wire.as_bytes(), default(), error);
    }
    let folded = format!("--b\r\n{}\r\n\tcontinued\r\n\r\nv\r\n--b--", field("a"));
    fails(
        "b",
        folded.as_bytes(),
        default(),
        MultipartError::ObsoleteLineFolding,
    );
}

#[test]
fn parameter_smuggling_is_refused_or_kept_apart() {
    for (disposition, error) in [
        (
            r#"form-data; name="a"; name="b""#,
            MultipartError::DuplicateParameter,
        ),
        (
            r#"form-data; filename="a"; filename="b""#,
            MultipartError::DuplicateParameter,
        ),
        (
            r"form-data; filename*=utf-8''a; filename*=utf-8''b",
            MultipartError::DuplicateParameter,
        ),
        (
            r#"form-data; name="a"; filename*=utf-8''%2"#,
            MultipartError::InvalidExtendedValue,
        ),
        (
            r#"form-data; name="a"x"#,
            MultipartError::InvalidContentDisposition,
        ),
    ] {
        let header = format!("Content-Disposition: {disposition}");
        fails("b", &body("b", &[(&[&header], b"")]), default(), error);
    }
    let two = body("b", &[(&[&field("a"), &field("b")], b"")]);
    fails("b", &two, default(), MultipartError::DuplicateHeader);
    let two = body(
        "b",
        &[(
            &[&field("a"), "Content-Type: a/b", "content-type: c/d"],
            b"",
        )],
    );
    fails("b", &two, default(), MultipartError::DuplicateHeader);
    let smuggled = body(
        "b",
        &[(
            &[
                r#"Content-Disposition: form-data; name="comment"; name*=utf-8''role; filename="safe.txt"; filename*=utf-8''evil.php"#,
            ],
            b"",
        )],
    );
    let out = scan_every_split("b", &smuggled, default());
    let head = out.heads()[0];
    assert_eq!(
        (head.name(), head.filename(), head.filename_star()),
        (Some("comment"), Some("safe.txt"), Some("evil.php"))
    );
}

#[test]
fn delimiter_lines_are_strict() {
    for wire in [
        &b"--bx\r\n\r\n--b--"[..],
        b"--b\r\n\r\nv\r\n--b-x",
        b"--b \r \n\r\n--b--",
        b"--b\n\r\n--b--",
        b"--b\r\n\r\nv\r\n--b --",
    ] {
        fails("b", wire, default(), MultipartError::InvalidDelimiterLine);
    }
    for wire in [&b"--b--x"[..], b"--b--\n", b"--b--\rx", b"--b-- x"] {
        fails(
            "b",
            wire,
            default(),
            MultipartError::InvalidCloseDelimiterLine,
        );
    }
    let padded = format!("--b{}\r\n\r\n--b--", " ".repeat(4300));
    fails(
        "b",
        padded.as_bytes(),
        default(),
        MultipartError::PaddingTooLong,
    );
}

#[test]
fn preamble_and_epilogue_junk_is_reported_and_bounded() {
    let wire = b"junk\r\n\r\n--b\r\n\r\nv\r\n--b--\r\ntrailing junk";
    let out = scan_every_split("b", wire, default());
    assert_eq!(out.error, None);
    assert_eq!(out.events[0], Seen::Preamble(b"junk\r\n".to_vec()));
    assert_eq!(
        out.events.last(),
        Some(&Seen::Epilogue(b"trailing junk".to_vec()))
    );
    let small = MultipartLimits {
        max_preamble_size: 5,
        max_epilogue_size: 12,
        ..default()
    };
    fails("b", wire, small, MultipartError::PreambleTooLarge);
    let exact = MultipartLimits {
        max_preamble_size: 6,
        max_epilogue_size: 13,
        ..default()
    };
    assert_eq!(scan_every_split("b", wire, exact).error, None);
    let tight_epilogue = MultipartLimits {
        max_epilogue_size: 12,
        ..default()
    };
    fails("b", wire, tight_epilogue, MultipartError::EpilogueTooLarge);
    let crlfs = [&b"\r\n".repeat(5000)[..], b"\r\n--b--"].concat();
    fails("b", &crlfs, default(), MultipartError::PreambleTooLarge);
}

#[test]
fn part_count_and_size_limits_fire_exactly_past_the_limit() {
    let wire = body("b", &[(&[&field("a")], b"12345"), (&[&field("b")], b"")]);
    let two = MultipartLimits {
        max_parts: 2,
        max_part_size: Some(5),
        ..default()
    };
    assert_eq!(scan_every_split("b", &wire, two).error, None);
    let one = MultipartLimits {
        max_parts: 1,
        ..default()
    };
    fails("b", &wire, one, MultipartError::TooManyParts);
    let four = MultipartLimits {
        max_part_size: Some(4),
        ..default()
    };
    let out = scan_every_split("b", &wire, four);
    assert_eq!(out.error, Some(MultipartError::PartTooLarge));
    assert_eq!(
        out.parts()[0].2,
        b"1234",
        "content up to the limit comes first"
    );
}

#[test]
fn empty_parts_count_towards_the_part_limit() {
    let mut wire = b"--b\r\n".to_vec();
    for _ in 0..1001 {
        wire.extend_from_slice(b"\r\n--b\r\n");
    }
    wire.extend_from_slice(b"\r\n--b--");
    let out = scan_pieces("b", &wire, &[], default());
    assert_eq!(out.error, Some(MultipartError::TooManyParts));
    assert_eq!(out.heads().len(), 1000);
}

#[test]
fn bad_boundaries_are_refused_up_front() {
    for (boundary, error) in [
        ("", MultipartError::InvalidBoundary),
        ("a ", MultipartError::InvalidBoundary),
        ("a\r\nb", MultipartError::InvalidBoundary),
        ("a\"b", MultipartError::InvalidBoundary),
    ] {
        assert_eq!(
            scan_pieces(boundary, b"", &[], default()).error,
            Some(error)
        );
    }
    let long = "x".repeat(71);
    assert_eq!(
        scan_pieces(&long, b"", &[], default()).error,
        Some(MultipartError::BoundaryTooLong)
    );
}

#[test]
fn statuses_answer_each_error() {
    assert_eq!(MultipartError::NotMultipart.status_hint(), 415);
    assert_eq!(MultipartError::PartTooLarge.status_hint(), 413);
    assert_eq!(MultipartError::HeaderLineTooLong.status_hint(), 413);
    assert_eq!(MultipartError::Truncated.status_hint(), 400);
    assert!(!MultipartError::Truncated.message().is_empty());
}
