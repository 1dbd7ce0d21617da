// Streamed text, as it arrives on the page's htmx socket. A delta frame is one small
// JSON object per batch, {"r17": "reasoning text", "a17": "answer text"} (the new text
// of message 17's reasoning and answer panes), so a delta costs about its own text on
// the wire; an <hx-partial> per delta cost three times that. The text is appended as
// text nodes, never parsed as HTML. Everything else on the socket is htmx's to swap.
(() => {
  "use strict";

  const PANES = { r: "reasoning-text-", a: "answer-text-" };
  const DELTA = /^\{"[ra]\d/;

  document.addEventListener("htmx:ws:before:message:incoming", (event) => {
    const data = event.detail.message.data;
    if (typeof data !== "string" || !DELTA.test(data)) return;
    let texts;
    try { texts = JSON.parse(data); } catch { return; }
    event.detail.cancelled = true;
    for (const [key, text] of Object.entries(texts)) {
      const pane = document.getElementById(PANES[key[0]] + key.slice(1));
      if (pane && typeof text === "string") pane.append(text);
    }
  });
})();
