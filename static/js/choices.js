// n > 1 choices: one at a time behind "Choice 1 · 2 · 3" tabs, or side by side when
// each card would get at least 480 px. The socket replaces cards as they finish, so the
// view is re-applied whenever a choices row changes, and the selection lives in the
// row's data attributes (a new render of a card keeps it).
(() => {
  "use strict";

  const MIN_CARD = 480;
  const GAP = 13;

  const rowOf = (bar) => bar.nextElementSibling && bar.nextElementSibling.matches(".choices") ? bar.nextElementSibling : null;
  const cardsOf = (row) => Array.from(row.children).filter((el) => el.matches("article.message"));

  function roomy(row) {
    const count = parseInt(row.dataset.count || "1", 10);
    return (row.clientWidth - GAP * (count - 1)) / count >= MIN_CARD;
  }

  function apply(bar) {
    const row = rowOf(bar);
    if (!row) return;
    const selected = parseInt(row.dataset.selected || "0", 10);
    const sideButton = bar.querySelector("[data-side-by-side]");
    const room = roomy(row);
    sideButton.hidden = !room;
    const side = room && row.dataset.view === "side";
    sideButton.setAttribute("aria-pressed", side ? "true" : "false");
    row.classList.toggle("tabbed", !side);
    bar.classList.toggle("side", side);
    const cards = cardsOf(row);
    bar.querySelectorAll("[data-choice-tab]").forEach((tab, index) => {
      const on = index === selected;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      const card = cards[index];
      if (card && card.id) tab.setAttribute("aria-controls", card.id);
      const streaming = card && card.dataset.status === "streaming";
      tab.classList.toggle("streaming", Boolean(streaming));
      const status = tab.querySelector("[data-tab-status]");
      const text = streaming ? " · streaming" : "";
      if (status.textContent !== text) status.textContent = text;
    });
    cards.forEach((card, index) => {
      const hide = !side && index !== selected;
      if (card.classList.contains("choice-hidden") !== hide) card.classList.toggle("choice-hidden", hide);
    });
  }

  function select(bar, index, focus) {
    const row = rowOf(bar);
    const tabs = bar.querySelectorAll("[data-choice-tab]");
    index = (index + tabs.length) % tabs.length;
    row.dataset.selected = String(index);
    apply(bar);
    if (focus) tabs[index].focus();
  }

  const applyAll = () => document.querySelectorAll("[data-choice-bar]").forEach(apply);

  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-choice-tab]");
    const side = event.target.closest("[data-side-by-side]");
    const bar = event.target.closest("[data-choice-bar]");
    if (!bar) return;
    const row = rowOf(bar);
    if (tab) {
      row.dataset.view = "tabs";
      select(bar, parseInt(tab.dataset.choiceTab, 10), false);
    } else if (side) {
      row.dataset.view = row.dataset.view === "side" ? "tabs" : "side";
      apply(bar);
    }
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest("[data-choice-tab]");
    if (!tab) return;
    const bar = tab.closest("[data-choice-bar]");
    const current = parseInt(tab.dataset.choiceTab, 10);
    const count = bar.querySelectorAll("[data-choice-tab]").length;
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: count - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(bar, moves[event.key], true);
  });

  // Cards are replaced and their status changes over the socket; re-apply after each
  // batch of changes (our own attribute writes are idempotent, so this settles).
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; applyAll(); });
  });

  document.addEventListener("DOMContentLoaded", () => {
    applyAll();
    const root = document.querySelector("main") || document.body;
    observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-status"] });
    window.addEventListener("resize", applyAll);
  });
})();
