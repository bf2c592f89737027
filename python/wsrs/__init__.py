"""wsrs: fast, strict WebSocket and HTTP/1.1 for Python on asyncio and trio.

The byte work (framing, masking, UTF-8 validation, HTTP parsing, chunked coding) is done in Rust;
sessions, servers and clients are written with anyio and run on asyncio, uvloop and trio.

The package has one room per domain, as the Rust crate does: `wsrs.ws` (WebSocket sessions,
broadcast, topics), `wsrs.http` (HTTP/1.1 messages, connections, pipeline, chunked coding),
`wsrs.broker` (hubs and the brokers that share topics between processes), `wsrs.server` (the
server and its routing), `wsrs.client`, `wsrs.demo`, `wsrs.cli`, and the private plumbing in
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
from wsrs.broker import Broker, BrokerEvent, Hub, MemoryBroker, RedisBroker
from wsrs.client import connect
from wsrs.exceptions import (
    BrokerUnavailable,
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
    SlowConsumer,
    Topics,
    WebSocketSession,
    broadcast,
    pinger,
    ponger,
)

__all__ = [
    "App",
    "BodyStream",
    "Broker",
    "BrokerEvent",
    "BrokerUnavailable",
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
    "Hub",
    "LocalProtocolError",
    "MemoryBroker",
    "PayloadTooBig",
    "PipelineJob",
    "ProtocolError",
    "RedisBroker",
    "RemoteProtocolError",
    "Request",
    "RequestParser",
    "Response",
    "Server",
    "SessionConfig",
    "SlowConsumer",
    "TimeoutQueue",
    "Timers",
    "Topics",
    "WebSocketSession",
    "WsrsError",
    "__version__",
    "broadcast",
    "connect",
    "decode_chunked",
    "encode_chunked",
    "pinger",
    "ponger",
    "serve",
    "start_connection_pipeline",
]
