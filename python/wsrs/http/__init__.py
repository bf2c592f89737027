"""HTTP/1.1 over the Rust engine: request and response objects (`messages`), the connection that
parses, dispatches and answers them in order (`_connection`), Ktor's connection pipeline
(`pipeline`), the chunked coding as streams (`chunked`), multipart bodies as parts with body
streams (`multipart`), HTML forms (`forms`), and `ResponseWriter` for handlers that write their
response piece by piece (`_writer`)."""

from wsrs._wsrs import (
    Epilogue,
    MultipartLimits,
    MultipartParser,
    PartBegin,
    PartData,
    PartEnd,
    Preamble,
)
from wsrs.http._writer import Responder, ResponseWriter
from wsrs.http.chunked import DecoderJob, decode_chunked, encode_chunked
from wsrs.http.forms import FormData, FormLimits, UploadFile
from wsrs.http.messages import BodyStream, Headers, Request, Response
from wsrs.http.multipart import MultipartPart, MultipartReader, parse_multipart
from wsrs.http.pipeline import PipelineJob, start_connection_pipeline

__all__ = [
    "BodyStream",
    "DecoderJob",
    "Epilogue",
    "FormData",
    "FormLimits",
    "Headers",
    "MultipartLimits",
    "MultipartParser",
    "MultipartPart",
    "MultipartReader",
    "PartBegin",
    "PartData",
    "PartEnd",
    "PipelineJob",
    "Preamble",
    "Request",
    "Responder",
    "Response",
    "ResponseWriter",
    "UploadFile",
    "decode_chunked",
    "encode_chunked",
    "parse_multipart",
    "start_connection_pipeline",
]
