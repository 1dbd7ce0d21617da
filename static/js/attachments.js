// The composer's images: picked with "Attach images", dropped onto the composer or
// pasted. Each file is uploaded on its own (the socket cannot carry files); the server
// checks it and answers with its thumbnail, whose hidden input names it in the next
// Send. Refusals (wrong type, too large, damaged) show beside the composer.
(() => {
  "use strict";

  const box = () => document.querySelector("[data-attachments]");
  const list = () => document.getElementById("pending-attachments");
  const errors = () => document.getElementById("error-attachments");
  let uploading = 0;

  function csrfToken() {
    const input = document.querySelector('#composer-form input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  async function upload(file) {
    const here = box();
    const limit = parseInt(here.dataset.maxImages || "0", 10);
    if (limit && list().children.length >= limit) {
      errors().textContent = `"${file.name}" was not attached: a message can carry at most ${limit} images.`;
      return;
    }
    // Its place in the list, held while it uploads: the images go in the order chosen,
    // whichever upload ends first.
    const slot = document.createElement("li");
    slot.className = "attachment uploading";
    slot.textContent = `Uploading ${file.name}…`;
    list().append(slot);
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
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
      const text = await response.text();
      if (response.ok) {
        // Our own server's fragment, rendered from a template (every value escaped).
        const template = document.createElement("template");
        template.innerHTML = text;  // inert until inserted: nothing in it runs
        const fragment = template.content;
        const refused = fragment.querySelector("[data-refused-attachment]");
        if (refused) errors().textContent = refused.textContent;
        else slot.replaceWith(fragment);
      } else {
        errors().textContent = `"${file.name}" could not be uploaded (HTTP ${response.status}): try again.`;
      }
    } catch {
      errors().textContent = `"${file.name}" could not be uploaded: the server did not answer.`;
    } finally {
      slot.remove();  // still here only if nothing took its place
      uploading -= 1;
      if (!uploading) here.removeAttribute("aria-busy");
    }
  }

  function uploadAll(files) {
    if (!files || !files.length || !box()) return;
    errors().textContent = "";
    for (const file of files) upload(file);
  }

  // A send waits for the images still uploading: they would be left out.
  document.addEventListener("htmx:ws:before:message:outgoing", (event) => {
    const form = document.getElementById("composer-form");
    if (!uploading || !form || !form.contains(event.target)) return;
    const action = (event.detail.message.values || {}).action;
    if (action && action !== "send") return;
    event.detail.cancelled = true;
    errors().textContent = "An image is still uploading: send again when its thumbnail shows.";
  });

  document.addEventListener("change", (event) => {
    if (!event.target.matches("[data-attach-input]")) return;
    uploadAll([...event.target.files]);
    event.target.value = "";  // choosing the same file again uploads it again
  });

  const hasFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
  const inComposer = (event) => event.target.closest && event.target.closest(".composer");

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
    inComposer(event).classList.remove("dropping");
    uploadAll([...event.dataTransfer.files]);
  });

  // Pasting an image (a screenshot) into the composer attaches it; text pastes as text.
  document.addEventListener("paste", (event) => {
    if (!inComposer(event) || !event.clipboardData) return;
    const files = [...event.clipboardData.files];
    if (!files.length) return;
    event.preventDefault();
    uploadAll(files);
  });

  // Removing a thumbnail deletes the upload on the server too (404: already gone).
  document.addEventListener("click", async (event) => {
    const remove = event.target.closest("[data-remove-attachment]");
    if (!remove) return;
    remove.disabled = true;
    try {
      const response = await fetch(remove.dataset.removeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      });
      if (!response.ok && response.status !== 404) throw new Error(String(response.status));
    } catch {
      remove.disabled = false;
      errors().textContent = "The image could not be removed: try again.";
      return;
    }
    remove.closest("[data-pending-attachment]").remove();
    document.getElementById("attach-images").focus();
  });
})();
