/* Switchboard web chat widget: one <script> tag, no build step.
 *
 *   <script src="https://switchboard.example.org/v1/Channels/Chat/widget.js"
 *           data-widget="acme-web" async></script>
 *
 * Keeps the visitor's token in localStorage, so a reload or a new tab continues the same
 * conversation; reconnects with backoff and redraws the whole history on every connect;
 * reports what the visitor has read. Every frame is also dispatched on `document` as a
 * `switchboard:<type>` event (`switchboard:ready`, `switchboard:message`, ...).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var widget = script.getAttribute("data-widget");
  var root = new URL(script.src).origin;
  var key = "switchboard-chat:" + widget;
  var socket = null, delay = 1000, box, list, input, typing, typingTimer = null, lastTyped = 0;

  function el(tag, style, text) {
    var node = document.createElement(tag);
    if (style) { node.setAttribute("style", style); }
    if (text) { node.textContent = text; }
    return node;
  }

  function draw() {
    box = el("div", "position:fixed;bottom:16px;right:16px;width:300px;font:14px sans-serif;" +
      "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px #0003;z-index:99999");
    list = el("div", "height:260px;overflow-y:auto;padding:8px");
    typing = el("div", "height:18px;padding:0 8px;color:#888;font-size:12px");
    typing.setAttribute("data-switchboard-typing", "");
    var form = el("form", "display:flex;border-top:1px solid #eee");
    input = el("input", "flex:1;border:0;padding:8px");
    input.setAttribute("placeholder", "Type a message");
    input.setAttribute("aria-label", "Message");
    form.appendChild(input);
    form.appendChild(el("button", "border:0;padding:8px", "Send"));
    input.addEventListener("input", function () {
      // at most one typing frame every 3 seconds while the visitor types
      var now = Date.now();
      if (now - lastTyped < 3000 || !socket || socket.readyState !== 1) { return; }
      lastTyped = now;
      socket.send(JSON.stringify({ type: "typing" }));
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = input.value.trim();
      if (!body || !socket || socket.readyState !== 1) { return; }
      socket.send(JSON.stringify({ type: "message", body: body }));
      show({ mine: true, body: body });
      input.value = "";
    });
    box.appendChild(list);
    box.appendChild(typing);
    box.appendChild(form);
    document.body.appendChild(box);
  }

  function show(line) {
    var align = line.mine ? "text-align:right" : "text-align:left";
    list.appendChild(el("div", "margin:4px 0;" + align, line.body));
    list.scrollTop = list.scrollHeight;
    if (!line.mine && typeof line.index === "number" && socket && socket.readyState === 1) {
      socket.send(JSON.stringify({ type: "read", index: line.index }));
    }
  }

  function token() {
    var saved = window.localStorage.getItem(key);
    if (saved) { return Promise.resolve(saved); }
    var url = root + "/v1/Channels/Chat/" + encodeURIComponent(widget) + "/Visitors";
    return fetch(url, { method: "POST" }).then(function (r) { return r.json(); }).then(function (v) {
      window.localStorage.setItem(key, v.token);
      return v.token;
    });
  }

  function connect() {
    token().then(function (value) {
      var ws = root.replace(/^http/, "ws") + "/v1/Channels/Chat/Stream?token=" + encodeURIComponent(value);
      socket = new WebSocket(ws);
      socket.onmessage = function (event) {
        var frame = JSON.parse(event.data);
        if (frame.type === "ready") {
          delay = 1000;
          list.textContent = "";
          frame.history.forEach(show);
        } else if (frame.type === "message") {
          typing.textContent = "";
          show(frame);
        } else if (frame.type === "typing") {
          typing.textContent = frame.author + " is typing\u2026";
          clearTimeout(typingTimer);
          typingTimer = setTimeout(function () { typing.textContent = ""; }, 5000);
        }
        // the embedding page may listen: switchboard:ready, switchboard:message, ...
        document.dispatchEvent(new CustomEvent("switchboard:" + frame.type, { detail: frame }));
      };
      socket.onclose = function (event) {
        if (event.code === 4401) { window.localStorage.removeItem(key); }
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }).catch(function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); });
  }

  function start() { draw(); connect(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
