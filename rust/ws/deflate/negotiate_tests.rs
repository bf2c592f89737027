#![allow(clippy::unwrap_used)]

use super::*;
use crate::ws::deflate::extensions::parse_extensions;

const fn config(server: u8, client: u8, server_reset: bool, client_reset: bool) -> DeflateConfig {
    DeflateConfig {
        server_max_window_bits: server,
        client_max_window_bits: client,
        server_no_context_takeover: server_reset,
        client_no_context_takeover: client_reset,
    }
}

const fn agreed(
    server: u8,
    client: u8,
    server_reset: bool,
    client_reset: bool,
) -> DeflateAgreement {
    DeflateAgreement {
        server_max_window_bits: server,
        client_max_window_bits: client,
        server_no_context_takeover: server_reset,
        client_no_context_takeover: client_reset,
    }
}

const DEFAULT: DeflateConfig = config(15, 15, false, false);
const SMALL: DeflateConfig = config(12, 12, false, false);

fn server(header: &str, config: DeflateConfig) -> Option<(DeflateAgreement, String)> {
    negotiate(&parse_extensions(&[header]).unwrap(), config)
}

/// An offer, the server's configuration, and the agreement and answer expected (None: declined).
type ServerCase<'a> = (&'a str, DeflateConfig, Option<(DeflateAgreement, &'a str)>);

fn check_server(table: &[ServerCase<'_>]) {
    for (header, config, expected) in table {
        let got = server(header, *config);
        let expected = expected.map(|(agreement, answer)| (agreement, answer.to_owned()));
        assert_eq!(got, expected, "{header:?} with {config:?}");
    }
}

#[test]
fn the_server_answers_the_first_offer_it_can_meet() {
    check_server(&[
        // Firefox and Chromium.
        ("permessage-deflate", DEFAULT, Some((agreed(15, 15, false, false), "permessage-deflate"))),
        (
            "permessage-deflate; client_max_window_bits",
            DEFAULT,
            Some((agreed(15, 15, false, false), "permessage-deflate")),
        ),
        (
            "permessage-deflate; client_max_window_bits",
            SMALL,
            Some((
                agreed(12, 12, false, false),
                "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
            )),
        ),
        // Without client_max_window_bits in the offer, the client's window cannot be limited.
        (
            "permessage-deflate",
            SMALL,
            Some((agreed(12, 15, false, false), "permessage-deflate; server_max_window_bits=12")),
        ),
        // Offered windows are limits: the answer takes the smaller.
        (
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=14",
            SMALL,
            Some((
                agreed(10, 12, false, false),
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
            )),
        ),
        (
            "permessage-deflate; server_max_window_bits=15",
            DEFAULT,
            Some((agreed(15, 15, false, false), "permessage-deflate; server_max_window_bits=15")),
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            DEFAULT,
            Some((agreed(15, 9, false, false), "permessage-deflate; client_max_window_bits=9")),
        ),
        // A client that compresses within 8 bits is met: inflating needs no more.
        (
            "permessage-deflate; client_max_window_bits=8",
            SMALL,
            Some((agreed(12, 8, false, false), "permessage-deflate; server_max_window_bits=12; client_max_window_bits=8")),
        ),
        // The server cannot compress within 8 bits: that offer is declined, the next one taken.
        ("permessage-deflate; server_max_window_bits=8", DEFAULT, None),
        (
            "permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=9",
            DEFAULT,
            Some((agreed(9, 15, false, false), "permessage-deflate; server_max_window_bits=9")),
        ),
        // Resets asked for are echoed; the server may add either.
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            DEFAULT,
            Some((
                agreed(15, 15, true, true),
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            )),
        ),
        (
            "permessage-deflate",
            config(15, 15, true, true),
            Some((
                agreed(15, 15, true, true),
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            )),
        ),
        // A quoted value counts once unquoted.
        (
            "permessage-deflate; server_max_window_bits=\"11\"",
            DEFAULT,
            Some((agreed(11, 15, false, false), "permessage-deflate; server_max_window_bits=11")),
        ),
        // Other extensions are skipped, whatever their place.
        (
            "x-webkit-deflate-frame, permessage-deflate",
            DEFAULT,
            Some((agreed(15, 15, false, false), "permessage-deflate")),
        ),
        ("x-webkit-deflate-frame", DEFAULT, None),
        ("", DEFAULT, None),
    ]);
}

#[test]
fn the_server_declines_offers_the_rfc_does_not_allow() {
    check_server(&[
        // Offers the RFC does not allow are declined, and a later one taken.
        ("permessage-deflate; foo", DEFAULT, None),
        (
            "permessage-deflate; foo=1, permessage-deflate; client_no_context_takeover",
            DEFAULT,
            Some((
                agreed(15, 15, false, true),
                "permessage-deflate; client_no_context_takeover",
            )),
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; server_no_context_takeover=1",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; client_no_context_takeover=\"x\"",
            DEFAULT,
            None,
        ),
        ("permessage-deflate; server_max_window_bits", DEFAULT, None),
        (
            "permessage-deflate; server_max_window_bits=16",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; server_max_window_bits=7",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; server_max_window_bits=012",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; client_max_window_bits=+9",
            DEFAULT,
            None,
        ),
        (
            "permessage-deflate; client_max_window_bits=1",
            DEFAULT,
            None,
        ),
        // Names are case-sensitive tokens.
        ("Permessage-Deflate", DEFAULT, None),
        (
            "permessage-deflate; Server_No_Context_Takeover",
            DEFAULT,
            None,
        ),
    ]);
}

#[test]
fn offers_are_read_across_header_fields() {
    let fields = [
        "permessage-deflate; server_max_window_bits=8",
        "permessage-deflate",
    ];
    let (agreement, answer) = negotiate(&parse_extensions(&fields).unwrap(), DEFAULT).unwrap();
    assert_eq!(
        (agreement, answer.as_str()),
        (agreed(15, 15, false, false), "permessage-deflate")
    );
}

#[test]
fn the_client_offers_what_it_is_configured_for() {
    let table = [
        (DEFAULT, "permessage-deflate; client_max_window_bits"),
        (
            SMALL,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        ),
        (
            config(10, 15, true, true),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
        ),
    ];
    for (config, offer) in table {
        assert_eq!(client_offer(config), offer);
        // Every offer we make is one our own server accepts.
        assert!(server(offer, DEFAULT).is_some(), "{offer}");
    }
}

fn client(answer: &str, config: DeflateConfig) -> Result<Option<DeflateAgreement>, String> {
    accept_answer(&parse_extensions(&[answer]).unwrap(), config).map_err(|err| err.message)
}

#[test]
fn the_client_accepts_answers_within_its_offer() {
    let table = [
        ("", DEFAULT, None),
        (
            "permessage-deflate",
            DEFAULT,
            Some(agreed(15, 15, false, false)),
        ),
        // Our offered window stands when the answer does not lower it.
        (
            "permessage-deflate; server_max_window_bits=12",
            SMALL,
            Some(agreed(12, 12, false, false)),
        ),
        (
            "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10",
            SMALL,
            Some(agreed(9, 10, false, false)),
        ),
        (
            "permessage-deflate; server_max_window_bits=8",
            DEFAULT,
            Some(agreed(8, 15, false, false)),
        ),
        // Asked to compress within 8 bits: accepted, and met by not compressing.
        (
            "permessage-deflate; client_max_window_bits=8",
            DEFAULT,
            Some(agreed(15, 8, false, false)),
        ),
        // The server may add either reset; ours stands even if not echoed.
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            DEFAULT,
            Some(agreed(15, 15, true, true)),
        ),
        (
            "permessage-deflate",
            config(15, 15, false, true),
            Some(agreed(15, 15, false, true)),
        ),
    ];
    for (answer, config, expected) in table {
        assert_eq!(
            client(answer, config),
            Ok(expected),
            "{answer:?} with {config:?}"
        );
    }
}

#[test]
fn the_client_refuses_answers_the_rfc_forbids() {
    let table = [
        (
            "x-webkit-deflate-frame",
            DEFAULT,
            "extension we did not offer: x-webkit-deflate-frame",
        ),
        ("permessage-deflate, permessage-deflate", DEFAULT, "twice"),
        ("permessage-deflate; foo", DEFAULT, "unknown parameter foo"),
        (
            "permessage-deflate; client_max_window_bits",
            DEFAULT,
            "invalid value",
        ),
        (
            "permessage-deflate; server_max_window_bits=16",
            DEFAULT,
            "invalid value",
        ),
        (
            "permessage-deflate; server_no_context_takeover=1",
            DEFAULT,
            "invalid value",
        ),
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            DEFAULT,
            "repeated parameter",
        ),
        (
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=13",
            SMALL,
            "over the one we offered",
        ),
        (
            "permessage-deflate",
            SMALL,
            "lacks the server_max_window_bits",
        ),
        (
            "permessage-deflate; server_max_window_bits=13",
            SMALL,
            "over the one we asked for",
        ),
        (
            "permessage-deflate",
            config(15, 15, true, false),
            "lacks the server_no_context_takeover",
        ),
    ];
    for (answer, config, message) in table {
        let err = client(answer, config).unwrap_err();
        assert!(err.contains(message), "{answer:?}: {err}");
    }
}

#[test]
fn each_side_knows_the_other_sides_window() {
    let agreement = agreed(10, 12, true, false);
    assert_eq!(agreement.sender(false), (10, true));
    assert_eq!(agreement.sender(true), (12, false));
}
