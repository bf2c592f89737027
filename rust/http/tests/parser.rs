//! `RequestParser` semantics: facts on the head, pipelining, pauses, errors, idleness.

use super::support::{head, parse_every_split, parse_pieces, post, Seen};
use crate::http::{Event, HttpError, HttpLimits, RequestParser, Version};

fn limits() -> HttpLimits {
    HttpLimits::default()
}

#[test]
fn head_facts() {
    let input = head(
        "POST /p?q=1 HTTP/1.1",
        &[
            "Content-Length: 3",
            "Connection: close",
            "Expect: 100-continue",
            "X-Pad:  v \t",
        ],
    );
    let outcome = parse_every_split(&[input, b"abc".to_vec()].concat(), limits());
    let heads = outcome.heads();
    let h = heads[0];
    assert_eq!(
        (h.method(), h.target(), h.version()),
        ("POST", "/p?q=1", Version::Http11)
    );
    assert_eq!(
        (h.content_length(), h.chunked(), h.keep_alive()),
        (Some(3), false, false)
    );
    assert!(h.expect_continue());
    assert_eq!(h.fields().get("x-pad"), Some(&b"v"[..]));
    assert_eq!(h.fields().name(0), "Host");
    assert_eq!(outcome.body(), b"abc");
}

#[test]
fn keep_alive_follows_version_and_connection() {
    let cases: [(&[u8], bool); 5] = [
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n",
            false,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", false),
        (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        (
            b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            false,
        ),
    ];
    for (input, keep_alive) in cases {
        let outcome = parse_pieces(input, &[], limits());
        assert_eq!(outcome.heads()[0].keep_alive(), keep_alive, "{input:?}");
    }
}

#[test]
fn upgrade_needs_connection_upgrade_and_http11() {
    let up = head(
        "GET / HTTP/1.1",
        &["Connection: keep-alive, Upgrade", "Upgrade: websocket"],
    );
    assert_eq!(
        parse_pieces(&up, &[], limits()).heads()[0].upgrade(),
        Some("websocket")
    );
    let no_token = head("GET / HTTP/1.1", &["Upgrade: websocket"]);
    assert_eq!(
        parse_pieces(&no_token, &[], limits()).heads()[0].upgrade(),
        None
    );
    let old = b"GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(parse_pieces(old, &[], limits()).heads()[0].upgrade(), None);
}

#[test]
fn pause_after_upgrade_then_take_trailing() {
    let request = head(
        "GET /ws HTTP/1.1",
        &["Connection: upgrade", "Upgrade: websocket"],
    );
    let input = [request, b"\x81\x85frame".to_vec()].concat();
    let outcome = parse_every_split(&input, limits());
    assert_eq!(outcome.requests(), 1);
    assert_eq!(outcome.trailing.as_deref(), Some(&b"\x81\x85frame"[..]));
}

#[test]
fn resume_after_a_refused_upgrade() {
    let request = head(
        "GET /ws HTTP/1.1",
        &["Connection: upgrade", "Upgrade: websocket"],
    );
    let next = head("GET /next HTTP/1.1", &[]);
    let mut parser = RequestParser::new(limits());
    let first = parser
        .feed(&[request, next[..10].to_vec()].concat())
        .events
        .count();
    assert_eq!(first, 2);
    assert!(parser.is_paused() && !parser.is_idle());
    assert_eq!(parser.feed(&next[10..]).events.count(), 0);
    let resumed: Vec<Event> = parser.resume().events.collect();
    assert!(matches!(&resumed[..], [Event::Head(h), Event::End(_)] if h.target() == "/next"));
    assert!(parser.is_idle());
    assert_eq!(parser.take_trailing(), None);
}

#[test]
fn connect_pauses() {
    let mut parser = RequestParser::new(limits());
    let input = [head("CONNECT a:443 HTTP/1.1", &[]), b"tls".to_vec()].concat();
    assert_eq!(parser.feed(&input).events.count(), 2);
    assert!(parser.is_paused());
    assert_eq!(parser.take_trailing().as_deref(), Some(&b"tls"[..]));
    assert!(parser.is_handed_over());
}

#[test]
fn events_before_a_violation_are_kept_and_nothing_after() {
    let good = post(&["Content-Length: 2"], b"ok");
    let bad = head("GET / HTTP/1.1", &["Host: twice"]);
    let input = [good, bad, head("GET /after HTTP/1.1", &[])].concat();
    let outcome = parse_every_split(&input, limits());
    assert_eq!(outcome.error, Some(HttpError::MultipleHost));
    assert!(
        matches!(&outcome.events[..], [Seen::Head(_), Seen::Body(b), Seen::End(_)] if b == b"ok")
    );
    let mut parser = RequestParser::new(limits());
    assert_eq!(parser.feed(&input).error, Some(HttpError::MultipleHost));
    let again = {
        let batch = parser.feed(b"GET / HTTP/1.1\r\n");
        (batch.events.count(), batch.error)
    };
    assert_eq!(again, (0, Some(HttpError::MultipleHost)));
    assert_eq!(parser.feed_eof(), Err(HttpError::MultipleHost));
}

#[test]
fn body_bytes_before_a_chunked_violation_are_returned() {
    let input = post(&["Transfer-Encoding: chunked"], b"3\r\nabc\r\nzz\r\n");
    let outcome = parse_every_split(&input, limits());
    assert_eq!(outcome.body(), b"abc");
    assert_eq!(outcome.error, Some(HttpError::InvalidChunkSize));
}

#[test]
fn idle_between_requests_only() {
    let mut parser = RequestParser::new(limits());
    assert!(parser.is_idle());
    let _ = parser.feed(b"\r\n");
    assert!(
        parser.is_idle(),
        "an empty line before a request is dropped"
    );
    let _ = parser.feed(b"GET / HTTP/1.1\r\n");
    assert!(!parser.is_idle());
    assert_eq!(parser.feed_eof(), Err(HttpError::IncompleteMessage));
    let mut parser = RequestParser::new(limits());
    let _ = parser.feed(&head("GET / HTTP/1.1", &[]));
    assert!(parser.is_idle());
    assert_eq!(parser.feed_eof(), Ok(()));
}

#[test]
fn whole_requests_in_one_read_are_not_copied() {
    let input = [
        head("GET /a HTTP/1.1", &[]),
        post(&["Content-Length: 3"], b"xyz"),
    ]
    .concat();
    let mut parser = RequestParser::new(limits());
    let batch = parser.feed(&input);
    assert_eq!(batch.body.input.as_ptr(), input.as_ptr());
    assert_eq!(batch.events.count(), 5);
}

#[test]
fn a_head_a_byte_at_a_time_is_linear() {
    let fields: Vec<String> = (0..95)
        .map(|i| format!("X-{i}: {}", "v".repeat(650)))
        .collect();
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let input = head("GET / HTTP/1.1", &refs);
    assert!(input.len() > 60_000);
    let mut parser = RequestParser::new(limits());
    let start = std::time::Instant::now();
    let mut events = 0;
    for byte in input.chunks(1) {
        events += parser.feed(byte).events.count();
    }
    assert_eq!(events, 2);
    assert!(
        start.elapsed().as_secs() < 2,
        "byte-at-a-time head took {:?}",
        start.elapsed()
    );
}

#[test]
fn many_pipelined_requests_in_one_read() {
    let one = head("GET / HTTP/1.1", &["Accept: */*"]);
    let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * 100).collect();
    let outcome = parse_every_split(&input, limits());
    assert_eq!(outcome.requests(), 100);
}
