"""A small chat app for the hub tests: sessions of ``/room/{name}`` join topic `name`."""

from __future__ import annotations

import anyio

from wsrs import App, DefaultWebSocketSession, Hub, Request, Response


class Joined(list[DefaultWebSocketSession]):
    """The sessions that joined their topic, in order, with a wait for the next one."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = anyio.Event()

    def add(self, ws: DefaultWebSocketSession) -> None:
        self.append(ws)
        self._changed.set()
        self._changed = anyio.Event()

    async def until(self, count: int) -> None:
        with anyio.fail_after(5):
            while len(self) < count:
                await self._changed.wait()


def chat_app(hub: Hub, joined: Joined) -> App:
    """Sessions of /room/{name} join topic `name`; their text is published there; POST /say/{name}
    publishes its body."""
    app = App()

    @app.websocket("/room/{name}")
    async def room(ws: DefaultWebSocketSession) -> None:
        assert ws.request is not None
        topic = ws.request.path_params["name"]
        await ws.subscribe(topic)
        joined.add(ws)
        async for message in ws:
            await hub.publish(topic, message)

    @app.route("/say/{name}", methods=["POST"])
    async def say(request: Request) -> Response:
        await hub.publish(request.path_params["name"], (await request.read()).decode())
        return Response.text("sent")

    return app
