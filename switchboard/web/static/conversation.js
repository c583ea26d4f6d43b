// The conversation view, kept live: the server says when the conversation changed
// (`/desk/conversations/{sid}/live`, pushed, no polling) and the page reads its own view
// again, so what shows is always what the agent's point of view allows. No inline script.
(() => {
  "use strict";
  const lines = document.getElementById("lines");
  const live = document.getElementById("live");
  if (!lines) return;
  const sid = lines.dataset.sid;
  let retry = 500;
  let reading = Promise.resolve();

  async function refresh() {
    const answer = await fetch(location.pathname, { headers: { Accept: "text/html" } });
    if (!answer.ok) { live.textContent = "This conversation is no longer yours to read."; return; }
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.getElementById("lines");
    if (fresh) lines.replaceChildren(...fresh.childNodes);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/desk/conversations/${encodeURIComponent(sid)}/live`);
    socket.onmessage = (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type !== "ready" && frame.type !== "changed") return;
      reading = reading.then(refresh).catch(() => undefined);
      if (frame.type === "ready") {
        retry = 500;
        reading = reading.then(() => { live.textContent = "Live: new messages appear here."; });
      }
    };
    socket.onclose = (event) => {
      if (event.code === 4401) { live.textContent = "Not live: reload the page."; return; }
      live.textContent = "Reconnecting…";
      setTimeout(connect, retry = Math.min(retry * 2, 10000));
    };
  }
  connect();
})();
