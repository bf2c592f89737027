"""wsrs: fast, strict WebSocket and HTTP/1.1 for Python on asyncio and trio.

The byte work (framing, masking, UTF-8 validation, HTTP parsing, chunked coding) is done in Rust;
sessions, servers and clients are written with anyio and run on asyncio, uvloop and trio.
"""

from wsrs._loop.timers import TimeoutQueue, Timers
from wsrs._wsrs import (
    ChunkedDecoder,
    CloseCode,
    CloseReason,
    Frame,
    FrameDecoder,
    FrameEncoder,
    FrameType,
    HttpLimits,
    RequestParser,
    __version__,
)
from wsrs.client import connect
from wsrs.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    HandshakeError,
    LocalProtocolError,
    PayloadTooBig,
    ProtocolError,
    RemoteProtocolError,
    WsrsError,
)
from wsrs.http.chunked import DecoderJob, decode_chunked, encode_chunked
from wsrs.http.messages import BodyStream, Headers, Request, Response
from wsrs.http.pipeline import PipelineJob, start_connection_pipeline
from wsrs.server import App, Server, serve
from wsrs.ws.config import SessionConfig
from wsrs.ws.pingpong import pinger, ponger
from wsrs.ws.session import DefaultWebSocketSession, WebSocketSession

__all__ = [
    "App",
    "BodyStream",
    "ChunkedDecoder",
    "CloseCode",
    "CloseReason",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DecoderJob",
    "DefaultWebSocketSession",
    "Frame",
    "FrameDecoder",
    "FrameEncoder",
    "FrameType",
    "HandshakeError",
    "Headers",
    "HttpLimits",
    "LocalProtocolError",
    "PayloadTooBig",
    "PipelineJob",
    "ProtocolError",
    "RemoteProtocolError",
    "Request",
    "RequestParser",
    "Response",
    "Server",
    "SessionConfig",
    "TimeoutQueue",
    "Timers",
    "WebSocketSession",
    "WsrsError",
    "__version__",
    "connect",
    "decode_chunked",
    "encode_chunked",
    "pinger",
    "ponger",
    "serve",
    "start_connection_pipeline",
]
