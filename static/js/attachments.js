// Images attached to a form: picked with "Attach images", dropped onto the form's drop
// zone or pasted into it (the composer, the compare builder). Each file is uploaded on
// its own to the box's data-upload-url (a socket cannot carry files); the server checks
// it and answers with its thumbnail, whose hidden input names it in the next send or
// run. Refusals (wrong type, too large, damaged) show beside the box.
//
// A box: [data-attachments] (data-upload-url, data-max-images) holding the thumbnails'
// list [data-attachment-list], the messages [data-attachment-errors] and the file input
// [data-attach-input]; the zone around it takes drops and pastes ([data-attach-drop]).
(() => {
  "use strict";

  const ZONE = ".composer, [data-attach-drop]";
  const boxIn = (zone) => zone && zone.querySelector("[data-attachments]");
  const list = (box) => box.querySelector("[data-attachment-list]");
  const errors = (box) => box.querySelector("[data-attachment-errors]");
  let uploading = 0;

  function csrfToken(box) {
    const form = box.closest("form");
    const input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  async function upload(here, file) {
    const limit = parseInt(here.dataset.maxImages || "0", 10);
    if (limit && list(here).children.length >= limit) {
      errors(here).textContent = `"${file.name}" was not attached: a message can carry at most ${limit} images.`;
      return;
    }
    // Its place in the list, held while it uploads: the images go in the order chosen,
    // whichever upload ends first.
    const slot = document.createElement("li");
    slot.className = "attachment uploading";
    slot.textContent = `Uploading ${file.name}…`;
    list(here).append(slot);
    const data = new FormData();
    data.append("image", file, file.name || "pasted-image");
    uploading += 1;
    here.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(here.dataset.uploadUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        // Asked as htmx asks: a refused file is answered with its message as a fragment.
        headers: { "X-CSRFToken": csrfToken(here), "HX-Request": "true" },
      });
      const text = await response.text();
      if (response.ok) {
        // Our own server's fragment, rendered from a template (every value escaped).
        const template = document.createElement("template");
        template.innerHTML = text;  // inert until inserted: nothing in it runs
        const fragment = template.content;
        const refused = fragment.querySelector("[data-refused-attachment]");
        if (refused) errors(here).textContent = refused.textContent;
        else slot.replaceWith(fragment);
      } else {
        errors(here).textContent = `"${file.name}" could not be uploaded (HTTP ${response.status}): try again.`;
      }
    } catch {
      errors(here).textContent = `"${file.name}" could not be uploaded: the server did not answer.`;
    } finally {
      slot.remove();  // still here only if nothing took its place
      uploading -= 1;
      if (!uploading) here.removeAttribute("aria-busy");
    }
  }

  function uploadAll(box, files) {
    if (!files || !files.length || !box) return;
    errors(box).textContent = "";
    for (const file of files) upload(box, file);
  }

  // The box of a form whose images are still uploading: they would be left out.
  function busyBox(form) {
    const box = uploading && form && form.querySelector("[data-attachments]");
    return box && box.hasAttribute("aria-busy") ? box : null;
  }

  // A send over the socket (the composer) waits for the images still uploading.
  document.addEventListener("htmx:ws:before:message:outgoing", (event) => {
    const box = busyBox(event.target.closest && event.target.closest("form"));
    if (!box) return;
    const action = (event.detail.message.values || {}).action;
    if (action && action !== "send") return;
    event.detail.cancelled = true;
    errors(box).textContent = "An image is still uploading: send again when its thumbnail shows.";
  });

  // So does a form's own submit (the compare builder's Run).
  document.addEventListener("submit", (event) => {
    const box = busyBox(event.target);
    if (!box) return;
    event.preventDefault();
    errors(box).textContent = "An image is still uploading: try again when its thumbnail shows.";
  });

  document.addEventListener("change", (event) => {
    if (!event.target.matches("[data-attach-input]")) return;
    uploadAll(event.target.closest("[data-attachments]"), [...event.target.files]);
    event.target.value = "";  // choosing the same file again uploads it again
  });

  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  const inComposer = (event) => event.target.closest && event.target.closest(ZONE);

  document.addEventListener("dragover", (event) => {
    if (!hasFiles(event) || !inComposer(event)) return;
    event.preventDefault();  // allows the drop
    inComposer(event).classList.add("dropping");
  });
  document.addEventListener("dragleave", (event) => {
    const composer = inComposer(event);
    if (composer && !composer.contains(event.relatedTarget)) composer.classList.remove("dropping");
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event) || !inComposer(event)) return;
    event.preventDefault();
    const zone = inComposer(event);
    zone.classList.remove("dropping");
    uploadAll(boxIn(zone), [...event.dataTransfer.files]);
  });

  // Pasting an image (a screenshot) into the composer attaches it; text pastes as text.
  document.addEventListener("paste", (event) => {
    if (!inComposer(event) || !event.clipboardData) return;
    const files = [...event.clipboardData.files];
    if (!files.length) return;
    event.preventDefault();
    uploadAll(boxIn(inComposer(event)), files);
  });

  // Removing a thumbnail deletes the upload on the server too (404: already gone).
  document.addEventListener("click", async (event) => {
    const remove = event.target.closest("[data-remove-attachment]");
    if (!remove) return;
    const box = remove.closest("[data-attachments]");
    remove.disabled = true;
    try {
      const response = await fetch(remove.dataset.removeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(box) },
      });
      if (!response.ok && response.status !== 404) throw new Error(String(response.status));
    } catch {
      remove.disabled = false;
      errors(box).textContent = "The image could not be removed: try again.";
      return;
    }
    remove.closest("[data-pending-attachment]").remove();
    box?.querySelector("[data-attach-input]")?.focus();
  });
})();
