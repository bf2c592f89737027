"""HTTP/1.1 over the Rust engine: request and response objects (`messages`), the connection that
parses, dispatches and answers them in order (`_connection`), Ktor's connection pipeline
(`pipeline`) and the chunked coding as streams (`chunked`)."""

from wsrs.http.chunked import DecoderJob, decode_chunked, encode_chunked
from wsrs.http.messages import BodyStream, Headers, Request, Response
from wsrs.http.pipeline import PipelineJob, start_connection_pipeline

__all__ = [
    "BodyStream",
    "DecoderJob",
    "Headers",
    "PipelineJob",
    "Request",
    "Response",
    "decode_chunked",
    "encode_chunked",
    "start_connection_pipeline",
]
