// The conversation page: keyboard sending, the live reasoning timer, sliders, the
// prompt editors and the socket's small data-only events. Everything else is htmx;
// copy buttons are copy.js, the connection state live-status.js.
(() => {
  "use strict";

  const form = () => document.getElementById("composer-form");
  const prompt = () => document.getElementById("prompt");

  // Ctrl+Enter / Cmd+Enter sends; Enter alone makes a new line.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!event.target.closest || !event.target.closest("#composer-form")) return;
    event.preventDefault();
    // In an opened prompt editor, Ctrl+Enter sends the edit; elsewhere, the composer.
    const editor = event.target.closest(".edit-prompt");
    const send = editor ? editor.querySelector("[data-edit-send]") : form().querySelector("[data-send]");
    if (!send.disabled) form().requestSubmit(send);
  });

  // A message over the server's frame limit is refused here, before it is sent: the
  // limit counts the bytes of the JSON frame, as the server does.
  document.addEventListener("htmx:ws:before:message:outgoing", (event) => {
    const composer = form();
    if (!composer || !composer.contains(event.target)) return;
    const limit = parseInt(composer.dataset.maxFrameBytes || "0", 10);
    const message = event.detail.message;
    const frame = JSON.stringify({ ...message.values, headers: message.headers });
    const size = new TextEncoder().encode(frame).length;
    if (!limit || size <= limit) return;
    event.detail.cancelled = true;
    const mb = (bytes) => (bytes / (1024 * 1024)).toFixed(1);
    document.getElementById("error-prompt").textContent =
      `That message is too big to send: ${mb(size)} MB, at most ${mb(limit)} MB for the prompt, ` +
      "system prompt and settings together. Shorten the prompt or the system prompt.";
  });

  // Data-only socket messages: {"event": ...}.
  document.addEventListener("htmx:ws:after:message:incoming", async (event) => {
    let data;
    try { data = await event.detail.message.json(); } catch { return; }
    if (!data || !data.event) return;
    if (data.event === "sent") {
      prompt().value = "";
      // The images went with it (attachments.js shows the ones waiting).
      document.getElementById("pending-attachments")?.replaceChildren();
      const refused = document.getElementById("error-attachments");
      if (refused) refused.textContent = "";
      prompt().focus();
    } else if (data.event === "listed") {
      // The sidebar redraws itself (its hx-trigger), keeping any search.
      htmx.trigger(document.body, "conversations-changed");
    } else if (data.event === "invalid") {
      // Focus stays out of the side panel: Send's summary links to a bad parameter.
      const ids = { prompt: "prompt", attachments: "attach-images" };
      const first = document.getElementById(ids[data.fields.find((f) => ids[f])]);
      if (first) first.focus();
    }
    refreshEmptyState();
  });

  // A parameter with a message beside it is marked invalid (styled by app.css).
  function markInvalid() {
    for (const slot of document.querySelectorAll("#param-panel .field-error")) {
      const field = document.getElementById("param-" + slot.id.replace(/^error-/, ""));
      if (!field) continue;
      if (slot.textContent.trim()) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    }
  }
  const panel = document.getElementById("param-panel");
  if (panel) new MutationObserver(markInvalid).observe(panel, { childList: true, subtree: true, characterData: true });

  // Send's summary of bad parameters: a click focuses the field it names.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-focus-field]");
    if (!link) return;
    const field = document.getElementById(link.dataset.focusField);
    if (!field) return;
    event.preventDefault();
    // On a narrow screen the parameters are a drawer: nav.js opens it first.
    field.dispatchEvent(new CustomEvent("drawer:reveal", { bubbles: true }));
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  function refreshEmptyState() {
    const empty = document.querySelector("[data-empty-state]");
    if (empty) empty.hidden = document.querySelector("#messages .message") !== null;
  }

  // The "Thinking… 12.4 s" timer, from the server's elapsed time at render.
  const started = new WeakMap();
  setInterval(() => {
    for (const card of document.querySelectorAll('article.assistant[data-status="streaming"]')) {
      if (!started.has(card)) {
        started.set(card, performance.now() - parseFloat(card.dataset.elapsed || "0") * 1000);
      }
      const timer = card.querySelector("[data-timer]");
      const answer = card.querySelector(".answer-pane .stream-text");
      const reasoning = card.querySelector(".reasoning-pane .stream-text");
      const seconds = ((performance.now() - started.get(card)) / 1000).toFixed(1);
      // A tool call or a refusal is the answer too: the model has stopped thinking.
      const answering = (answer && answer.textContent.length > 0) || card.querySelector(".tool-call, .refusal") !== null;
      const waited = card.querySelector("[data-wait-elapsed]");
      if (waited) waited.textContent = `${seconds} s`;
      const waiting = card.querySelector("[data-waiting]");
      if (waiting) waiting.hidden = answering;
      if (!timer) continue;
      if (!answering) {
        timer.textContent = `Thinking… ${seconds} s`;
      } else if (!timer.dataset.frozen && reasoning && reasoning.textContent.length > 0) {
        timer.dataset.frozen = "1";
        timer.textContent = `Thought for ${seconds} s`;
      }
    }
  }, 100);

  // Sliders mirror the typed value; the typed value is what is sent.
  document.addEventListener("input", (event) => {
    const el = event.target;
    if (el.matches("[data-slider-for]")) {
      const number = document.getElementById(el.dataset.sliderFor);
      number.value = el.value;
      number.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (el.matches('input[type="number"]')) {
      const slider = document.querySelector(`[data-slider-for="${el.id}"]`);
      if (slider && el.value !== "") slider.value = el.value;
    }
  });

  // × leaves a number unset: it is not sent at all.
  document.addEventListener("click", (event) => {
    const clear = event.target.closest("[data-clear]");
    if (!clear) return;
    const input = document.getElementById(clear.dataset.clear);
    input.value = "";
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  });

  // A closed prompt editor's text is not sent with every other action.
  document.addEventListener("toggle", (event) => {
    const editor = event.target;
    if (!editor.matches || !editor.matches("details.edit-prompt")) return;
    const text = editor.querySelector("textarea");
    text.disabled = !editor.open;
    if (editor.open) text.focus();
  }, true);

  // The person's open/closed choice of a reasoning pane outlives the card: the socket
  // replaces a card's element when its answer finishes, and the new one starts open. The
  // choice is read from the element replaced, when it goes, not kept from "toggle"
  // events: those come a task after the click, and a stream's text arriving in between
  // would have the old choice put back.
  const keepReasoning = new MutationObserver((records) => {
    const chosen = new Map();
    for (const record of records) {
      for (const node of record.removedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const cards = node.matches("article.message") ? [node] : node.querySelectorAll("article.message");
        for (const card of cards) {
          const details = card.querySelector(".reasoning-pane details");
          if (card.id && details) chosen.set(card.id, details.open);
        }
      }
    }
    for (const [id, open] of chosen) {
      const details = document.querySelector(`#${CSS.escape(id)} .reasoning-pane details`);
      if (details && details.open !== open) details.open = open;
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    refreshEmptyState();
    const thread = document.getElementById("messages");
    if (thread) keepReasoning.observe(thread, { childList: true, subtree: true });
  });
})();
