"""wsrs: fast, strict WebSocket and HTTP/1.1 for Python on asyncio and trio.

The byte work (framing, masking, UTF-8 validation, HTTP parsing, chunked coding) is done in Rust;
sessions, servers and clients are written with anyio and run on asyncio, uvloop and trio.

The package has one room per domain, as the Rust crate does: `wsrs.ws` (WebSocket sessions),
`wsrs.http` (HTTP/1.1 messages, connections, pipeline, chunked coding), `wsrs.server` (the server
and its routing), `wsrs.client`, `wsrs.demo`, `wsrs.cli`, and the private plumbing in
`wsrs._loop`. Every public name is importable from here.
"""

from wsrs._loop.timers import TimeoutQueue, Timers
from wsrs._wsrs import (
    ChunkedDecoder,
    FrameDecoder,
    FrameEncoder,
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
    UnsupportedEventLoop,
    WsrsError,
)
from wsrs.http import (
    BodyStream,
    DecoderJob,
    Headers,
    PipelineJob,
    Request,
    Response,
    decode_chunked,
    encode_chunked,
    start_connection_pipeline,
)
from wsrs.server import App, Server, serve
from wsrs.ws import (
    CloseCode,
    CloseReason,
    DefaultWebSocketSession,
    Frame,
    FrameType,
    SessionConfig,
    WebSocketSession,
    pinger,
    ponger,
)

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
    "UnsupportedEventLoop",
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
