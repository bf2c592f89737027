//! Framing cases: Content-Length, Transfer-Encoding, chunk sizes, extensions, trailers, limits.

use super::Expect::{Reject, Requests};
use super::{case, limited, Case};
use crate::http::tests::support::{head, post};
use crate::http::{HttpError as E, HttpLimits};

fn te(value: &str) -> Vec<u8> {
    post(&[&format!("Transfer-Encoding: {value}")], b"0\r\n\r\n")
}

fn cl(value: &str) -> Vec<u8> {
    post(&[&format!("Content-Length: {value}")], b"hello")
}

fn chunked(body: &[u8]) -> Vec<u8> {
    post(&["Transfer-Encoding: chunked"], body)
}

#[allow(clippy::too_many_lines)] // a table: one row per case
pub(super) fn cases() -> Vec<Case> {
    let small_body = HttpLimits {
        max_body_size: Some(4),
        ..HttpLimits::default()
    };
    let tight_chunks = HttpLimits {
        max_chunk_size_line: 8,
        max_chunk_extensions_size: 6,
        max_trailer_size: 10,
        ..HttpLimits::default()
    };
    vec![
        case(
            "CL + TE",
            post(
                &["Content-Length: 5", "Transfer-Encoding: chunked"],
                b"0\r\n\r\n",
            ),
            Reject(E::TransferEncodingWithContentLength, 400),
        ),
        case(
            "TE + CL",
            post(
                &["Transfer-Encoding: chunked", "Content-Length: 5"],
                b"0\r\n\r\n",
            ),
            Reject(E::TransferEncodingWithContentLength, 400),
        ),
        case("TE chunked", te("chunked"), Requests(1)),
        case("TE Chunked (case)", te("Chunked"), Requests(1)),
        case(
            "TE chunked, chunked",
            te("chunked, chunked"),
            Reject(E::ChunkedRepeated, 400),
        ),
        case(
            "TE chunked twice, two lines",
            post(
                &["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
                b"0\r\n\r\n",
            ),
            Reject(E::ChunkedRepeated, 400),
        ),
        case(
            "TE gzip after chunked",
            te("chunked, gzip"),
            Reject(E::ChunkedNotFinal, 400),
        ),
        case(
            "TE chunked then identity",
            te("chunked, identity"),
            Reject(E::ChunkedNotFinal, 400),
        ),
        case(
            "TE chunked then gzip on a second line",
            post(
                &["Transfer-Encoding: chunked", "Transfer-Encoding: gzip"],
                b"",
            ),
            Reject(E::ChunkedNotFinal, 400),
        ),
        case(
            "TE identity",
            te("identity"),
            Reject(E::ChunkedNotFinal, 400),
        ),
        case(
            "TE xchunked",
            te("xchunked"),
            Reject(E::ChunkedNotFinal, 400),
        ),
        case(
            "TE gzip, chunked (unsupported)",
            te("gzip, chunked"),
            Reject(E::UnsupportedTransferCoding, 501),
        ),
        case(
            "TE quoted",
            te("\"chunked\""),
            Reject(E::InvalidTransferCoding, 400),
        ),
        case(
            "TE with a parameter",
            te("chunked;q=1"),
            Reject(E::InvalidTransferCoding, 400),
        ),
        case("TE empty", te(""), Reject(E::InvalidTransferCoding, 400)),
        case(
            "TE in HTTP/1.0",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            Reject(E::TransferEncodingInHttp10, 400),
        ),
        case("CL body", cl("5"), Requests(1)),
        case("CL with leading zeros", cl("005"), Requests(1)),
        case("CL +5", cl("+5"), Reject(E::InvalidContentLength, 400)),
        case("CL -5", cl("-5"), Reject(E::InvalidContentLength, 400)),
        case("CL 5 5", cl("5 5"), Reject(E::InvalidContentLength, 400)),
        case("CL 0x5", cl("0x5"), Reject(E::InvalidContentLength, 400)),
        case(
            "CL list 5, 5",
            cl("5, 5"),
            Reject(E::InvalidContentLength, 400),
        ),
        case("CL empty", cl(""), Reject(E::InvalidContentLength, 400)),
        case(
            "CL overflow (20 digits)",
            cl("99999999999999999999"),
            Reject(E::ContentLengthOverflow, 400),
        ),
        case(
            "two different CLs",
            post(&["Content-Length: 5", "Content-Length: 6"], b"hello!"),
            Reject(E::MultipleContentLength, 400),
        ),
        case(
            "two identical CLs",
            post(&["Content-Length: 5", "Content-Length: 5"], b"hello"),
            Reject(E::MultipleContentLength, 400),
        ),
        case(
            "POST without framing has no body",
            post(&[], b""),
            Requests(1),
        ),
        case(
            "CL body then pipelined GET",
            [cl("5"), head("GET / HTTP/1.1", &[])].concat(),
            Requests(2),
        ),
        case(
            "truncated CL body",
            post(&["Content-Length: 9"], b"hello"),
            Reject(E::IncompleteMessage, 400),
        ),
        limited(
            "CL over the body limit",
            cl("5"),
            small_body,
            Reject(E::ContentTooLarge, 413),
        ),
        limited(
            "chunked over the body limit",
            chunked(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
            small_body,
            Reject(E::ContentTooLarge, 413),
        ),
        case(
            "chunks",
            chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            Requests(1),
        ),
        case(
            "chunks then pipelined GET",
            [chunked(b"1\r\na\r\n0\r\n\r\n"), head("GET / HTTP/1.1", &[])].concat(),
            Requests(2),
        ),
        case(
            "chunk size +5",
            chunked(b"+5\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size -5",
            chunked(b"-5\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size 0x5",
            chunked(b"0x5\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size with a leading space",
            chunked(b" 5\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size with a trailing space",
            chunked(b"5 \r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size empty",
            chunked(b"\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkSize, 400),
        ),
        case(
            "chunk size of 17 hex digits",
            chunked(b"10000000000000000\r\nx\r\n0\r\n\r\n"),
            Reject(E::ChunkSizeOverflow, 400),
        ),
        case(
            "chunk size with leading zeros",
            chunked(b"000000000000000000005\r\nhello\r\n0\r\n\r\n"),
            Requests(1),
        ),
        case(
            "extension with BWS",
            chunked(b"5 ; a = b ;c\r\nhello\r\n0;d=\"x\\\"y\"\r\n\r\n"),
            Requests(1),
        ),
        case(
            "extension: quoted string cut by CRLF",
            chunked(b"5;a=\"x\r\n\"\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkExtension, 400),
        ),
        case(
            "extension: LF inside",
            chunked(b"5;a\nb\r\nhello\r\n0\r\n\r\n"),
            Reject(E::BareLineFeed, 400),
        ),
        case(
            "extension: no name",
            chunked(b"5;=b\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkExtension, 400),
        ),
        case(
            "extension: no value",
            chunked(b"5;a=\r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkExtension, 400),
        ),
        case(
            "extension: trailing space",
            chunked(b"5;a \r\nhello\r\n0\r\n\r\n"),
            Reject(E::InvalidChunkExtension, 400),
        ),
        case(
            "LF-only chunk lines",
            chunked(b"5\nhello\n0\n\n"),
            Reject(E::BareLineFeed, 400),
        ),
        limited(
            "LF-only chunk lines even when the head allows bare LF",
            chunked(b"5\nhello\n0\n\n"),
            HttpLimits {
                allow_bare_lf: true,
                ..HttpLimits::default()
            },
            Reject(E::BareLineFeed, 400),
        ),
        case(
            "missing CRLF after chunk data",
            chunked(b"5\r\nhello0\r\n\r\n"),
            Reject(E::ChunkDataNotTerminated, 400),
        ),
        case(
            "chunk data then two arbitrary bytes (h11 CVE-2025-43859)",
            chunked(b"5\r\nhelloXY0\r\n\r\n"),
            Reject(E::ChunkDataNotTerminated, 400),
        ),
        case(
            "chunk data then LF only",
            chunked(b"5\r\nhello\n0\r\n\r\n"),
            Reject(E::ChunkDataNotTerminated, 400),
        ),
        case(
            "trailers",
            chunked(b"1\r\na\r\n0\r\nChecksum: abc\r\nX: y\r\n\r\n"),
            Requests(1),
        ),
        case(
            "trailer with space before the colon",
            chunked(b"0\r\nX : y\r\n\r\n"),
            Reject(E::InvalidTrailerField, 400),
        ),
        case(
            "trailer with obs-fold",
            chunked(b"0\r\nX: y\r\n z\r\n\r\n"),
            Reject(E::InvalidTrailerField, 400),
        ),
        case(
            "trailer with NUL",
            chunked(b"0\r\nX: a\0b\r\n\r\n"),
            Reject(E::InvalidTrailerField, 400),
        ),
        case(
            "trailer without colon",
            chunked(b"0\r\nX\r\n\r\n"),
            Reject(E::InvalidTrailerField, 400),
        ),
        case(
            "trailer with bare LF",
            chunked(b"0\r\nX: y\n\r\n"),
            Reject(E::BareLineFeed, 400),
        ),
        case(
            "EOF before the last chunk",
            chunked(b"5\r\nhello\r\n"),
            Reject(E::IncompleteMessage, 400),
        ),
        case(
            "EOF before the trailer section ends",
            chunked(b"0\r\nX: y\r\n"),
            Reject(E::IncompleteMessage, 400),
        ),
        limited(
            "chunk-size line too long",
            chunked(b"5;abcdefgh\r\nhello\r\n0\r\n\r\n"),
            tight_chunks,
            Reject(E::ChunkSizeLineTooLong, 400),
        ),
        limited(
            "chunk extensions too large",
            chunked(b"1;abc\r\na\r\n1;abc\r\nb\r\n0\r\n\r\n"),
            tight_chunks,
            Reject(E::ChunkExtensionsTooLarge, 400),
        ),
        limited(
            "trailers too large",
            chunked(b"0\r\nA: 1\r\nB: 2\r\n\r\n"),
            tight_chunks,
            Reject(E::TrailersTooLarge, 431),
        ),
        limited(
            "trailers at the limit",
            chunked(b"0\r\nA: 1\r\nB: 2\r\n\r\n"),
            HttpLimits {
                max_trailer_size: 12,
                ..tight_chunks
            },
            Requests(1),
        ),
    ]
}
