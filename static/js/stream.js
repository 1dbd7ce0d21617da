// Streamed text, as it arrives on the page's htmx socket. A delta frame is one small
// JSON object per batch, {"r17": "reasoning text", "a17": "answer text"} (the new text
// of message 17's reasoning and answer panes), so a delta costs about its own text on
// the wire; an <hx-partial> per delta cost three times that. The text is appended as
// text nodes, never parsed as HTML, to the pane's raw text (.stream-raw).
//
// A render frame, {"A17": [blocks, tail, upto]} ("R17" for the reasoning), carries the
// server's Markdown render of the pane (chat.conversations.live_markdown: the card's own
// renderer and sanitiser, never Markdown parsed here): the blocks finished since the
// last render, appended once, each [where it ends, its HTML] (null for a plain paragraph:
// its raw text, set as a <p>), and the HTML of the unfinished last block (.md-tail),
// replaced; `upto` is how many characters of the text it covers, so the raw text before
// it goes and the rest stays visible after it. Everything else is htmx's to swap.
(() => {
  "use strict";

  const PANES = { r: "reasoning-text-", a: "answer-text-" };
  const FRAME = /^\{"[raRA]\d/;
  // Where raw text may continue inside the last rendered block (a paragraph, a list
  // item, a code block's <pre><code>), so it reads on from the render instead of below it.
  const INTO = new Set(["P", "LI", "UL", "OL", "BLOCKQUOTE", "DIV", "PRE", "H1", "H2", "H3", "H4", "H5", "H6"]);

  function lastBlock(element) {
    let at = element;
    for (;;) {
      const child = at.lastElementChild;
      if (!child) return at;
      if (INTO.has(child.tagName) || (child.tagName === "CODE" && at.tagName === "PRE")) at = child;
      else return at;
    }
  }

  // The first `count` characters of `text` and the rest; the server counts characters
  // as code points, a JS string counts UTF-16 units.
  function cut(text, count) {
    let i = 0;
    for (; count > 0 && i < text.length; count--) i += text.codePointAt(i) > 0xffff ? 2 : 1;
    return [text.slice(0, i), text.slice(i)];
  }

  function render(pane, [blocks, tail, upto]) {
    const rendered = pane.querySelector(":scope > .md-tail");
    const raw = pane.querySelector(".stream-raw");
    if (!rendered || !raw) return;
    let from = Number(rendered.dataset.upto);
    if (!(upto >= from)) return;
    raw.remove();
    let text = raw.textContent;
    for (const [end, html] of blocks) {
      const [head, rest] = cut(text, end - from);
      text = rest;
      from = Math.max(from, end);
      if (typeof html === "string") {
        rendered.insertAdjacentHTML("beforebegin", html);
      } else {
        // A plain paragraph (the server found its render to be just that): its raw text.
        const paragraph = document.createElement("p");
        paragraph.textContent = head.trimEnd();
        rendered.before(paragraph);
      }
    }
    rendered.innerHTML = tail;
    rendered.dataset.upto = String(upto);
    raw.textContent = cut(text, upto - from)[1];
    lastBlock(rendered).append(raw);
  }

  document.addEventListener("htmx:ws:before:message:incoming", (event) => {
    const data = event.detail.message.data;
    if (typeof data !== "string" || !FRAME.test(data)) return;
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    event.detail.cancelled = true;
    for (const [key, value] of Object.entries(frame)) {
      const pane = document.getElementById(PANES[key[0].toLowerCase()] + key.slice(1));
      if (!pane) continue;
      if (typeof value === "string") (pane.querySelector(".stream-raw") || pane).append(value);
      else if (Array.isArray(value)) render(pane, value);
    }
  });
})();
