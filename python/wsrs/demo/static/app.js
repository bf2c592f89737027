// The demo page: a WebSocket to /echo; what you type is sent, what comes back is shown.
// The upload form posts a real FormData to /upload and lists what the server received.
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
document.getElementById("upload").onsubmit = async (event) => {
  event.preventDefault();
  const response = await fetch("/upload", { method: "POST", body: new FormData(event.target) });
  const rows = document.querySelector("#uploads tbody");
  rows.replaceChildren();
  for (const part of (await response.json()).parts) {
    const row = rows.insertRow();
    row.className = "uploaded";
    for (const value of [part.name, part.filename ?? "", part.size, part.sha256]) {
      row.insertCell().textContent = value;
    }
  }
};
