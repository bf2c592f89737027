"""picows WebSocket echo server: ``ws_create_server``, echo in ``on_ws_frame``.

picows' core leaves the close reply to the application; this listener answers a Close with the
same code and disconnects, as picows' own examples do. Compression is not implemented by picows'
core, so nothing needs turning off.
"""

from __future__ import annotations

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server
from picows.common import WSUpgradeRequest

from benches._harness import (
    MAX_MESSAGE_SIZE,
    exit_after,
    raise_nofile_limit,
    run_on,
    server_arguments,
)

_DATA = (WSMsgType.BINARY, WSMsgType.TEXT, WSMsgType.CONTINUATION)


class Echo(WSListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type in _DATA:
            # Frame by frame, same opcode and FIN: fragmented messages come back fragmented.
            transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)
        elif frame.msg_type == WSMsgType.CLOSE:
            code = frame.get_close_code()
            if code == WSCloseCode.NO_INFO:  # picows would put code 0 on the wire
                code = WSCloseCode.OK
            transport.send_close(code, frame.get_close_message())
            transport.disconnect()


def route(request: WSUpgradeRequest) -> WSListener | None:
    return Echo() if request.path.split(b"?")[0] == b"/echo" else None


def main() -> None:
    args = server_arguments(__doc__ or "", ("uvloop", "asyncio")).parse_args()
    exit_after(args.lifetime)
    raise_nofile_limit()

    async def serve() -> None:
        server = await ws_create_server(
            route, args.host, args.port, max_frame_size=MAX_MESSAGE_SIZE
        )
        async with server:
            await server.serve_forever()

    run_on(args.loop, serve)


if __name__ == "__main__":
    main()
