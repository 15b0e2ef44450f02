// Computed traits: the list and the editor (every kind), with a preview of values for a few profiles.

import { ago, field, fill, formatNumber, formatTime, h, select, show, SUGGESTIONS_CHANGED } from "./dom.js";
import { editDraft } from "./drafts.js";
import { describeEvents, describeWindow, eventFields, windowFields } from "./editors.js";
import {
  failure, pageHeader, POLL_MS, profileRows, statusBadge, whenCatalogArrives, whileShown, workspaceContext,
} from "./parts.js";

export const TRAIT_KINDS = [
  ["count", "Event counter"], ["sum", "Sum of a property"], ["avg", "Average of a property"],
  ["min", "Minimum of a property"], ["max", "Maximum of a property"], ["most_frequent", "Most frequent value"],
  ["first", "First value"], ["last", "Last value"], ["unique_list", "Unique list of values"],
  ["unique_list_count", "Count of unique values"],
];
const KIND_WORDS = Object.fromEntries(TRAIT_KINDS);

export async function traitList(view, api) {
  const body = h("tbody");
  fill(view, pageHeader("Computed traits", h("a", { class: "button", href: "#/traits/new" }, "New computed trait")),
    h("p", { class: "lead" }, "Values computed per profile from its events, usable in audiences."),
    h("div", { class: "table-wrap" }, h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ...["Name", "Kind", "Over", "Status", "Last change"].map((t) => h("th", { scope: "col" }, t)))),
      body)));
  async function load() {
    const { data } = await api.get("computed-traits");
    if (!data.length) {
      fill(body, h("tr", {}, h("td", { colspan: "5", class: "empty" }, "No computed traits yet. ",
        h("a", { href: "#/traits/new" }, "Define the first one"), ".")));
      return false;
    }
    fill(body, data.map((t) => h("tr", {},
      h("td", {}, h("a", { href: `#/traits/${t.id}` }, t.name)),
      h("td", {}, KIND_WORDS[t.kind] || t.kind, t.property ? h("span", { class: "sub" }, ` of ${t.property}`) : null),
      h("td", {}, describeEvents(t.event || {}), t.window ? h("div", { class: "sub" }, describeWindow(t.window)) : null),
      h("td", {}, statusBadge(t.status)),
      h("td", { title: formatTime(t.updated_at) }, ago(t.status?.updated_at || t.updated_at)))));
    return data.some((t) => t.status?.state === "building");
  }
  try {
    if (await load()) whileShown(view, POLL_MS, load);
  } catch (error) {
    view.append(failure(error));
  }
}

export async function traitEditor(view, api, id) {
  let loaded;
  try {
    loaded = await Promise.all([workspaceContext(api), id ? api.get(`computed-traits/${id}`) : null]);
  } catch (error) {
    fill(view, pageHeader("Computed trait"), failure(error));
    return;
  }
  const [workspace, existing] = loaded;
  const draft = existing
    ? { name: existing.name, description: existing.description || "", kind: existing.kind, property: existing.property || "",
      event: existing.event || {}, ...(existing.window ? { window: existing.window } : {}) }
    : { name: "", description: "", kind: "count", property: "", event: {} };

  const form = h("form", { class: "builder", novalidate: true });
  const holder = h("div", {});
  const previewBox = h("div", { class: "preview-body", "aria-live": "polite" });
  const save = h("button", { type: "submit", disabled: true }, existing ? "Save changes" : "Save computed trait");
  const status = existing ? h("span", {}, statusBadge(existing.status)) : null;
  const ctx = Object.assign(editDraft({
    api, form, previewBox, save, kind: "computed-traits", id, draft, label: "computed trait", waiting: "values",
    body: () => {
      const { property, window, ...rest } = draft;
      return { ...rest, name: draft.name.trim(), ...(draft.kind === "count" ? {} : { property: property.trim() }),
        ...(window ? { window } : {}) };
    },
    render,
    showAnswer: (answer) => [
      h("p", { class: "big", "data-testid": "preview-size" }, formatNumber(answer.size)),
      h("p", { class: "muted" }, answer.size === 1 ? "profile has a value" : "profiles have a value"),
      answer.sample.length ? h("div", { class: "table-wrap" }, h("table", { class: "list compact" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Person"), h("th", { scope: "col" }, "Value"))),
        h("tbody", {}, profileRows(api, answer.sample.map((s) => ({ id: s.profileId, extra: h("td", { class: "value-col" }, show(s.value)) })),
          { compact: true })))) : null],
  }), workspace);

  function render() {
    const name = h("input", { type: "text", value: draft.name, "data-path": "name", autocomplete: "off", placeholder: "e.g. total_revenue",
      oninput: () => { draft.name = name.value; ctx.changed(); } });
    const description = h("input", { type: "text", value: draft.description, "data-path": "description", autocomplete: "off",
      placeholder: "Optional", oninput: () => { draft.description = description.value; } });
    const kind = select(TRAIT_KINDS, { value: draft.kind, "data-path": "kind", "data-key": "kind",
      onchange: () => { draft.kind = kind.value; ctx.rerender("kind"); } });
    const suggestions = h("datalist", { id: "trait-properties" });
    // The properties seen on the chosen events, as they are when the field is focused (the event may change).
    const suggest = () => {
      const paths = new Set();
      for (const event of ctx.catalog.events) {
        if (draft.event.name && event.name !== draft.event.name) continue;
        for (const p of event.properties) paths.add(p.path);
      }
      fill(suggestions, [...paths].map((p) => h("option", { value: p })));
    };
    suggest();
    const property = h("input", { type: "text", value: draft.property, list: "trait-properties", autocomplete: "off",
      "data-path": "property", placeholder: "e.g. revenue", onfocus: suggest,
      oninput: () => { draft.property = property.value; ctx.changed(); } });
    property.addEventListener(SUGGESTIONS_CHANGED, suggest);
    fill(holder,
      h("section", { class: "card" }, h("div", { class: "row" }, field("Name", name, { wide: true }), field("Description", description, { wide: true }))),
      h("section", { class: "card" }, h("h2", {}, "Value"),
        h("div", { class: "row" }, field("Kind", kind),
          draft.kind === "count" ? null : field("Property", property, { hint: "the event property it reads" }),
          suggestions)),
      h("section", { class: "card", "data-path": "event" }, h("h2", {}, "Over which events"), eventFields(draft.event, "event", ctx)),
      h("section", { class: "card" }, h("h2", {}, "When"), windowFields(draft, "", ctx)));
  }

  const remove = existing ? h("button", {
    type: "button", class: "danger",
    onclick: async () => {
      if (!confirm(`Delete the computed trait “${existing.name}”?`)) return;
      try {
        await api.delete(`computed-traits/${id}`);
        location.hash = "#/traits";
      } catch (error) {
        fill(ctx.formError, failure(error));
      }
    },
  }, "Delete") : null;

  fill(form, holder, ctx.formError,
    h("div", { class: "form-actions" }, save, h("a", { href: "#/traits", class: "button secondary" }, "Cancel")));
  fill(view, pageHeader(existing ? existing.name : "New computed trait", status, remove),
    h("div", { class: "with-aside" }, form,
      h("aside", { class: "card preview", "aria-label": "Preview" }, h("h2", {}, "Preview"), previewBox)));
  ctx.rerender();
  whenCatalogArrives(workspace, ctx, form);
}
