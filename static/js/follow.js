// Auto-follow: while the person is at the bottom of the thread, new text keeps the
// last line in view above the sticky composer. Scrolling up stops it and shows "Jump
// to latest", which scrolls down and follows again.
(() => {
  "use strict";

  // A few lines of slack: a person "at the bottom" rarely is to the pixel.
  const SLACK = 48;
  let following = true;
  let lastY = window.scrollY;

  const jump = () => document.querySelector("[data-jump-latest]");
  const atBottom = () => {
    const root = document.scrollingElement;
    return root.scrollHeight - (window.scrollY + window.innerHeight) <= SLACK;
  };

  function show() {
    const button = jump();
    if (button) button.hidden = following || atBottom();
  }

  function toBottom() {
    window.scrollTo({ top: document.scrollingElement.scrollHeight, behavior: "instant" });
    lastY = window.scrollY;
  }

  // Only an upward move stops following: text arriving between two scroll events
  // leaves a following page short of the bottom for a moment without it moving up.
  window.addEventListener("scroll", () => {
    const y = window.scrollY;
    if (atBottom()) following = true;
    else if (y < lastY - 2) following = false;
    lastY = y;
    show();
  }, { passive: true });

  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-jump-latest]")) return;
    following = true;
    toBottom();
    show();
  });

  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      if (following) toBottom();
      show();
    });
  });

  document.addEventListener("DOMContentLoaded", () => {
    const thread = document.getElementById("messages");
    if (!thread) return;
    observer.observe(thread, { childList: true, subtree: true, characterData: true });
  });
})();
