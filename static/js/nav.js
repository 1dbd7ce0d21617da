// Navigation on every page: the account menu (a <details>), and on narrow screens the
// drawers (the conversation list, the parameters) and the conversation's "More" links.
// A button [data-opens=ID] opens the panel ID; Esc, its Close button [data-closes=ID], a
// click elsewhere or focus moving out closes it. Without this file the menu still opens
// and the drawers stay in the page's flow: app.css makes them drawers only under .js.
(() => {
  "use strict";

  document.documentElement.classList.add("js");

  const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary";
  let opened = null; // the open drawer or popover: { panel, opener }

  const openersOf = (panel) => document.querySelectorAll(`[data-opens="${panel.id}"]`);
  const backdrop = () => document.querySelector("[data-drawer-backdrop]");

  function open(panel, opener) {
    if (opened && opened.panel !== panel) close(false);
    panel.classList.add("is-open");
    for (const button of openersOf(panel)) button.setAttribute("aria-expanded", "true");
    opened = { panel, opener };
    if (panel.hasAttribute("data-drawer")) {
      const shade = backdrop();
      if (shade) shade.hidden = false;
      // Its first field (the search, the provider), not its Close button.
      const first = [...panel.querySelectorAll(FOCUSABLE)].find((el) => !el.matches("[data-closes]"));
      if (first) first.focus();
    }
  }

  // refocus: give focus back to the button that opened the panel (Esc, Close).
  function close(refocus) {
    if (!opened) return;
    const { panel, opener } = opened;
    opened = null;
    panel.classList.remove("is-open");
    for (const button of openersOf(panel)) button.setAttribute("aria-expanded", "false");
    const shade = backdrop();
    if (shade) shade.hidden = true;
    if (refocus && opener && opener.isConnected) opener.focus();
  }

  function closeMenus(except) {
    for (const menu of document.querySelectorAll("details[data-menu][open]")) {
      if (menu !== except) menu.open = false;
    }
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    const opener = target.closest("[data-opens]");
    const closer = target.closest("[data-closes]");
    if (opener) {
      const panel = document.getElementById(opener.dataset.opens);
      if (panel && opened && opened.panel === panel) close(true);
      else if (panel) open(panel, opener);
    } else if (closer) {
      close(true);
    } else if (opened && !opened.panel.contains(target)) {
      close(target.matches("[data-drawer-backdrop]"));
    }
    closeMenus(target.closest("details[data-menu]"));
  });

  // Esc closes the innermost thing open; shortcuts.js leaves an Esc used here alone.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const menu = document.querySelector("details[data-menu][open]");
    if (menu) {
      event.preventDefault();
      menu.open = false;
      menu.querySelector("summary").focus();
    } else if (opened) {
      event.preventDefault();
      close(true);
    }
  });

  // Tabbing out of a drawer or a menu closes it: what is behind is where focus went.
  document.addEventListener("focusout", (event) => {
    const next = event.relatedTarget;
    if (!next) return;
    if (opened && opened.panel.contains(event.target) && !opened.panel.contains(next)) close(false);
    const menu = event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu && !menu.contains(next)) menu.open = false;
  });

  // Another script wants a field that may be in a closed drawer (a parameter named beside
  // Send, the search): it dispatches "drawer:reveal" on it, and the drawer opens first.
  document.addEventListener("drawer:reveal", (event) => {
    const panel = event.target.closest("[data-drawer]");
    if (!panel || panel.classList.contains("is-open")) return;
    const opener = document.querySelector(`[data-opens="${panel.id}"]`);
    // Only when the drawer is one: on wide screens its opener is not shown.
    if (opener && opener.checkVisibility()) open(panel, opener);
  });
})();
