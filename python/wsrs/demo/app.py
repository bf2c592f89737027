"""The demo server of `python -m wsrs serve`: a page, an echo WebSocket and two HTTP endpoints.

- ``GET /``: a small page that opens a WebSocket to ``/echo`` and shows what comes back.
- ``/echo``: a WebSocket that sends every message back unchanged (text as text, binary as
  binary), up to the session's `max_frame_size`.
- ``GET /hello``: ``Hello, World!`` as plain text.
- ``POST /echo-body``: the request body streamed back as it arrives, chunked or not.
"""

from __future__ import annotations

from wsrs.http.messages import Request, Response
from wsrs.server.app import App
from wsrs.ws.session import DefaultWebSocketSession

__all__ = ["PAGE", "demo_app"]

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wsrs echo</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
  #log { border: 1px solid #ccc; min-height: 12rem; padding: .5rem; white-space: pre-wrap; }
  .sent { color: #555; } .received { color: #075; } .status { color: #a50; }
</style>
</head>
<body>
<h1>wsrs echo</h1>
<p id="state" class="status">connecting…</p>
<form id="form"><input id="message" autocomplete="off" autofocus placeholder="Type a message">
<button>Send</button></form>
<div id="log"></div>
<script>
const log = document.getElementById("log");
const state = document.getElementById("state");
function show(text, kind) {
  const line = document.createElement("div");
  line.className = kind;
  line.textContent = text;
  log.appendChild(line);
}
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const socket = new WebSocket(scheme + location.host + "/echo");
socket.onopen = () => { state.textContent = "connected"; };
socket.onclose = (event) => { state.textContent = "closed (" + event.code + ")"; };
socket.onmessage = (event) => { show("< " + event.data, "received"); };
document.getElementById("form").onsubmit = (event) => {
  event.preventDefault();
  const input = document.getElementById("message");
  if (input.value && socket.readyState === WebSocket.OPEN) {
    socket.send(input.value);
    show("> " + input.value, "sent");
    input.value = "";
  }
};
</script>
</body>
</html>
"""


def demo_app() -> App:
    """The demo's routes."""
    app = App()

    @app.route("/")
    async def index(request: Request) -> Response:
        return Response.html(PAGE)

    @app.route("/hello")
    def hello(request: Request) -> Response:
        return Response.text("Hello, World!")

    @app.route("/hello-async")
    async def hello_async(request: Request) -> Response:
        return Response.text("Hello, World!")

    @app.route("/echo-body", methods=["POST"])
    async def echo_body(request: Request) -> Response:
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        return Response(request.stream(), content_type=content_type)

    @app.websocket("/echo")
    async def echo(ws: DefaultWebSocketSession) -> None:
        async for message in ws:
            await ws.send(message)

    return app
