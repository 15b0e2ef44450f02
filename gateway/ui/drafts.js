// A definition being edited, audience or computed trait alike: every edit sends the draft to the API's preview, which
// runs every check a save runs (but the name's); errors are shown next to their fields; Save is enabled only while
// the latest preview passed and the draft has a name, so nothing invalid is ever saved.

import { ApiError } from "./api.js";
import { debounce, fill, h } from "./dom.js";
import { clearErrors, restoreFocus, showError } from "./editors.js";
import { failure } from "./parts.js";

/**
 * Wires a draft's form. `kind` is the REST collection ("audiences", "computed-traits") and `id` the definition
 * being replaced, if any; `draft` is edited in place by the form, `body()` is what to send, `render()` draws the
 * form's editable part anew (when the draft's shape changed), `showAnswer(answer)` the preview's content, `waiting`
 * says what the preview will show once the draft is valid ("the audience's size"). Returns the editors' context:
 * `changed()`, `rerender(focusKey)`, `localErrors` (problems only the page can see, by path).
 */
export function editDraft({ api, form, previewBox, save, hint, kind, id, draft, body, render, showAnswer, waiting, label }) {
  const formError = h("div", { class: "form-error", role: "alert" });
  let previewed = false; // the current draft passed the API's checks
  let sequence = 0; // answers to older previews are dropped
  const ctx = {
    localErrors: new Map(),
    changed: () => { previewed = false; updateSave(); schedulePreview(); },
    rerender: (focusKey) => { ctx.localErrors.clear(); render(); restoreFocus(form, focusKey); ctx.changed(); },
  };

  function named() { return draft.name.trim() !== ""; }

  function updateSave() {
    save.disabled = !(previewed && named());
    if (hint) hint.textContent = previewed && !named() ? `Name the ${label} to save it.` : "";
  }

  function showApiError(error) {
    const path = error.status === 409 ? "name" : error.path; // a taken name
    if (!path || !showError(form, path, error.reason)) fill(formError, h("p", { class: "error" }, error.message));
  }

  function sent() {
    const { name, ...rest } = body();
    return name ? { name, ...rest } : rest;
  }

  const schedulePreview = debounce(async () => {
    const mine = ++sequence;
    clearErrors(form);
    fill(formError);
    if (ctx.localErrors.size) {
      for (const [path, message] of ctx.localErrors) showError(form, path, message);
      fill(previewBox, h("p", { class: "muted" }, `Fix the highlighted fields to see ${waiting}.`));
      return;
    }
    previewBox.classList.add("updating");
    try {
      const answer = await api.post(`${kind}/preview`, sent());
      if (mine !== sequence) return;
      previewed = true;
      fill(previewBox, showAnswer(answer));
    } catch (error) {
      if (mine !== sequence) return;
      previewed = false;
      if (error instanceof ApiError && error.status < 500) {
        showApiError(error);
        fill(previewBox, h("p", { class: "muted" }, `Fix the highlighted field to see ${waiting}.`));
      } else {
        fill(previewBox, failure(error));
      }
    } finally {
      if (mine === sequence) previewBox.classList.remove("updating");
      updateSave();
    }
  }, 300);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (save.disabled) return;
    save.disabled = true;
    try {
      const saved = id ? await api.put(`${kind}/${id}`, body()) : await api.post(kind, body());
      location.hash = kind === "audiences" ? `#/audiences/${saved.id}` : "#/traits";
    } catch (error) {
      clearErrors(form);
      if (error instanceof ApiError && error.status < 500) showApiError(error);
      else fill(formError, failure(error));
      updateSave();
    }
  });
  ctx.formError = formError;
  return ctx;
}
