/* Switchboard number swap: one <script> tag, no build step.
 *
 *   <script src="https://switchboard.example/attribution/public/swap.js"
 *           data-key="POOL_PUBLIC_KEY" data-selector=".phone"></script>
 *
 * Leases a contact point for this visitor with the page's attribution (utm_*, click ids,
 * referrer, landing page), writes it into every element matching data-selector (and
 * tel: links), and sends a heartbeat every 60 s while the page is open.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var key = script.getAttribute("data-key");
  var selector = script.getAttribute("data-selector") || "[data-switchboard-number]";
  var base = script.src.replace(/\/swap\.js(\?.*)?$/, "");
  var storeKey = "switchboard.visitor";

  function visitor() {
    var id = null;
    try { id = window.localStorage.getItem(storeKey); } catch (e) { /* private mode */ }
    if (!id) {
      id = "v" + Math.random().toString(36).slice(2) + Date.now().toString(36);
      try { window.localStorage.setItem(storeKey, id); } catch (e) { /* ignore */ }
    }
    return id;
  }

  function attribution() {
    var fields = { visitor: visitor(), referrer: document.referrer || "",
                   landing_page: window.location.pathname };
    var query = new URLSearchParams(window.location.search);
    query.forEach(function (value, name) {
      if (/^utm_/.test(name) || /^(gclid|gbraid|wbraid|fbclid|msclkid|ttclid|campaign|publisher|keyword)$/.test(name)) {
        fields[name] = value;
      }
    });
    return fields;
  }

  function show(point) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = point;
      if (nodes[i].tagName === "A") nodes[i].setAttribute("href", "tel:" + point.replace(/[^+\d]/g, ""));
    }
  }

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.ok ? r.json() : null; });
  }

  post("/" + encodeURIComponent(key) + "/Leases", attribution()).then(function (lease) {
    if (!lease) return;
    show(lease.contact_point);
    if (lease.overflow || lease.slot_end) return; // nothing to keep alive
    var timer = window.setInterval(function () {
      post("/" + encodeURIComponent(key) + "/Leases/" + lease.sid + "/Heartbeat").then(function (kept) {
        if (!kept) window.clearInterval(timer);
      });
    }, 60000);
  });
})();
