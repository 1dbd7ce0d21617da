// Copy buttons, on every page that has them: data-copy-message="<selector>" copies
// that element's text (an answer, a share link); data-copy-code copies the code
// block the button sits in. The button says whether it worked, then reads as before.
(() => {
  "use strict";

  document.addEventListener("click", async (event) => {
    const copyCode = event.target.closest("[data-copy-code]");
    const copyMessage = event.target.closest("[data-copy-message]");
    let text = null;
    if (copyCode) {
      const code = copyCode.closest(".code-block")?.querySelector("pre code");
      text = code ? code.textContent : null;
    } else if (copyMessage) {
      const source = document.querySelector(copyMessage.dataset.copyMessage);
      text = source ? source.innerText : null;
    }
    if (text === null) return;
    const button = copyCode || copyMessage;
    try {
      await navigator.clipboard.writeText(text);
      flash(button, "Copied");
    } catch {
      flash(button, "Copy failed");
    }
  });

  function flash(button, label) {
    const original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = label;
    setTimeout(() => { button.textContent = original; }, 1500);
  }
})();
