// The demo page: a WebSocket to /echo; what you type is sent, what comes back is shown, and the
// extensions the browser and the server agreed (permessage-deflate unless turned off).
// The upload form posts a real FormData to /upload and lists what the server received.
const log = document.getElementById("log");
const state = document.getElementById("state");
const compression = document.getElementById("compression");
function show(text, kind) {
  const line = document.createElement("div");
  line.className = kind;
  line.textContent = text;
  log.appendChild(line);
}
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const socket = new WebSocket(scheme + location.host + "/echo");
socket.onopen = () => {
  state.textContent = "connected";
  compression.textContent = socket.extensions || "off";
};
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
// A refused upload (413 over the body limit, 400 for a malformed form) answers plain text, not
// JSON: the page shows the status and the server's reason instead of the table.
document.getElementById("upload").onsubmit = async (event) => {
  event.preventDefault();
  const uploadState = document.getElementById("upload-state");
  const rows = document.querySelector("#uploads tbody");
  rows.replaceChildren();
  uploadState.textContent = "uploading…";
  let response;
  try {
    response = await fetch("/upload", { method: "POST", body: new FormData(event.target) });
  } catch (error) {
    uploadState.textContent = "upload failed: " + error.message;
    return;
  }
  if (!response.ok) {
    uploadState.textContent = "refused: " + response.status + " " + (await response.text()).trim();
    return;
  }
  uploadState.textContent = "";
  for (const part of (await response.json()).parts) {
    const row = rows.insertRow();
    row.className = "uploaded";
    for (const value of [part.name, part.filename ?? "", part.size, part.sha256]) {
      row.insertCell().textContent = value;
    }
  }
};

// The chat: a WebSocket to /chat/{room}. Text frames are the room's messages (ours come back
// too); binary frames are room events as JSON, such as {"members": 3}.
function startChat() {
  const chatLog = document.getElementById("chat-log");
  const chatState = document.getElementById("chat-state");
  const members = document.getElementById("chat-members");
  const input = document.getElementById("chat-message");
  const send = document.querySelector("#chat-form button");
  let chat = null;
  function say(text, kind) {
    const line = document.createElement("div");
    line.className = kind;
    line.textContent = text;
    chatLog.appendChild(line);
  }
  function setOpen(open) {
    input.disabled = !open;
    send.disabled = !open;
  }
  document.getElementById("chat-join").onsubmit = (event) => {
    event.preventDefault();
    const room = document.getElementById("chat-room").value.trim();
    if (!room) return;
    if (chat) chat.close();
    chatLog.textContent = "";
    const socket = new WebSocket(scheme + location.host + "/chat/" + encodeURIComponent(room));
    socket.binaryType = "arraybuffer";
    chat = socket;
    chatState.textContent = "joining " + room + "…";
    socket.onopen = () => { chatState.textContent = "in " + room; setOpen(true); input.focus(); };
    socket.onclose = (event) => {
      if (chat !== socket) return;
      chatState.textContent = "left (" + event.code + ")";
      setOpen(false);
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") {
        say(event.data, "chat-message");
        return;
      }
      const news = JSON.parse(new TextDecoder().decode(event.data));
      if ("members" in news) members.textContent = news.members;
      if ("error" in news) say("! " + news.error, "chat-error");
    };
  };
  document.getElementById("chat-form").onsubmit = (event) => {
    event.preventDefault();
    if (input.value && chat && chat.readyState === WebSocket.OPEN) {
      chat.send(input.value);
      input.value = "";
    }
  };
}
startChat();
