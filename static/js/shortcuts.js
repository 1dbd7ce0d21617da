// The conversation page's keyboard shortcuts, listed in the dialog "?" opens
// (templates/conversations/_shortcuts.html). Ctrl/Cmd+Enter sends (conversation.js).
// Letters go with Alt+Shift, which browsers leave free, and are read from event.code:
// on a Mac, Option+Shift+N types a character, not "N".
(() => {
  "use strict";

  const dialog = () => document.querySelector("[data-shortcuts-dialog]");

  const typing = (el) => el instanceof HTMLElement && (el.isContentEditable || el.matches("input, textarea, select"));

  function showHelp() {
    const help = dialog();
    if (help && !help.open) help.showModal();
  }

  function newConversation() {
    const button = document.querySelector("[data-new-conversation]");
    if (button) button.form.requestSubmit(button);
  }

  function focusSearch() {
    const search = document.getElementById("search-q");
    if (!search) return;
    // On a narrow screen the search is in the list's drawer: nav.js opens it first.
    search.dispatchEvent(new CustomEvent("drawer:reveal", { bubbles: true }));
    search.focus();
    search.select();
  }

  // The latest answer: the last turn's selected choice (choices.js hides the others).
  function toggleReasoning() {
    const turns = document.querySelectorAll("#turns > .turn");
    const last = turns[turns.length - 1];
    if (!last) return;
    const cards = [...last.querySelectorAll("article.assistant")].filter((card) => !card.classList.contains("choice-hidden"));
    const details = cards.length ? cards[cards.length - 1].querySelector(".reasoning-pane details") : null;
    if (details) details.open = !details.open;
  }

  function stop() {
    const button = document.querySelector("#composer-form [data-stop]");
    if (!button || button.hidden) return false;
    button.form.requestSubmit(button);
    return true;
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-shortcuts-open]")) showHelp();
  });

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    // While the dialog is open, its own Esc closes it; nothing else fires behind it.
    if (dialog() && dialog().open) return;
    if (event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey) {
      const action = { KeyN: newConversation, KeyR: toggleReasoning }[event.code];
      if (action) {
        event.preventDefault();
        action();
      }
      return;
    }
    if (event.key === "Escape") {
      if (stop()) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      showHelp();
    } else if (event.key === "/") {
      event.preventDefault();
      focusSearch();
    }
  });
})();
