"""HTTP/1.1 over the Rust engine: request and response objects (`messages`), the connection that
parses, dispatches and answers them in order (`_connection`), Ktor's connection pipeline
(`pipeline`), the chunked coding as streams (`chunked`), and `ResponseWriter` for handlers that
write their response piece by piece (`_writer`)."""

from wsrs.http._writer import Responder, ResponseWriter
from wsrs.http.chunked import DecoderJob, decode_chunked, encode_chunked
from wsrs.http.messages import BodyStream, Headers, Request, Response
from wsrs.http.pipeline import PipelineJob, start_connection_pipeline

__all__ = [
    "BodyStream",
    "DecoderJob",
    "Headers",
    "PipelineJob",
    "Request",
    "Responder",
    "Response",
    "ResponseWriter",
    "decode_chunked",
    "encode_chunked",
    "start_connection_pipeline",
]
