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
    ClientDisconnected,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    HandshakeError,
    LifespanError,
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
    Responder,
    Response,
    ResponseWriter,
    decode_chunked,
    encode_chunked,
    start_connection_pipeline,
)
from wsrs.server import App, AsgiApp, Server, is_asgi_app, serve
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
    "AsgiApp",
    "BodyStream",
    "ChunkedDecoder",
    "ClientDisconnected",
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
    "LifespanError",
    "LocalProtocolError",
    "PayloadTooBig",
    "PipelineJob",
    "ProtocolError",
    "RemoteProtocolError",
    "Request",
    "RequestParser",
    "Responder",
    "Response",
    "ResponseWriter",
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
    "is_asgi_app",
    "pinger",
    "ponger",
    "serve",
    "start_connection_pipeline",
]
