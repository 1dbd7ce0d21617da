// The socket's connection state in [data-connection], said plainly: "Connecting…"
// (as rendered), "Live", or "Reconnecting…" while hx-ws reconnects by itself.
(() => {
  "use strict";

  const show = (text, state) => {
    const el = document.querySelector("[data-connection]");
    if (!el) return;
    el.textContent = text;
    el.dataset.state = state;
  };
  document.addEventListener("htmx:ws:after:connection", () => show("Live", "open"));
  document.addEventListener("htmx:ws:close", () => show("Reconnecting…", "closed"));
  document.addEventListener("htmx:ws:error", () => show("Connection problem; retrying…", "closed"));
})();
