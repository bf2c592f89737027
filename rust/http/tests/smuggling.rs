//! The request-smuggling and framing-ambiguity table: each input with the status a server must
//! answer (or the number of requests it must see), checked whole, at every split and byte by byte.
//! Sources: RFC 9112 §3, §5, §6, §7; peers.md Part B §2.4 (h11, llhttp, aiohttp, hyper CVEs),
//! the "funky chunks" family (bare LF and LF in extensions in chunked framing).

mod framing;
mod head;

use super::support::parse_every_split;
use crate::http::{HttpError, HttpLimits};

/// What a case must produce.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expect {
    /// This many complete requests and no error.
    Requests(usize),
    /// This error, answered with this status.
    Reject(HttpError, u16),
}

use Expect::{Reject, Requests};

pub(super) struct Case {
    name: &'static str,
    input: Vec<u8>,
    limits: HttpLimits,
    expect: Expect,
}

pub(super) fn case(name: &'static str, input: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name,
        input: input.into(),
        limits: HttpLimits::default(),
        expect,
    }
}

pub(super) fn limited(
    name: &'static str,
    input: Vec<u8>,
    limits: HttpLimits,
    expect: Expect,
) -> Case {
    Case {
        name,
        input,
        limits,
        expect,
    }
}

#[test]
fn smuggling_table() {
    let cases: Vec<Case> = head::cases().into_iter().chain(framing::cases()).collect();
    assert!(cases.len() >= 100, "the table has {} cases", cases.len());
    for case in cases {
        let outcome = parse_every_split(&case.input, case.limits);
        match case.expect {
            Requests(n) => {
                assert_eq!(outcome.error, None, "{}: unexpected error", case.name);
                assert_eq!(outcome.requests(), n, "{}: request count", case.name);
            }
            Reject(error, status) => {
                assert_eq!(outcome.error, Some(error), "{}: wrong verdict", case.name);
                assert_eq!(error.status_hint(), status, "{}: wrong status", case.name);
            }
        }
    }
}
