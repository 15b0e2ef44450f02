// Editors of the definition format's parts, shared by the audience builder and the computed-trait editor: which
// events (type, name, property filters), value tests, counts, time windows, and the condition tree itself.
//
// The definition being edited is a plain object in the API's JSON shape; editors change it in place and call
// `ctx.changed()`, or `ctx.rerender(focusKey)` when its shape changed. Every control carries `data-path`, the path
// the API names in its validation errors (`conditions[0].event.where[1].value`), so that an error lands next to
// the control that caused it (`showError`).

import { field, fill, h, select, SUGGESTIONS_CHANGED, uid } from "./dom.js";

export const OPERATORS = [
  ["eq", "is"], ["neq", "is not"], ["gt", "is greater than"], ["gte", "is at least"], ["lt", "is less than"],
  ["lte", "is at most"], ["contains", "contains"], ["starts_with", "starts with"], ["ends_with", "ends with"],
  ["exists", "exists"], ["in", "is one of"], ["before", "is before (date)"], ["after", "is after (date)"],
];
export const OPERATOR_WORDS = Object.fromEntries(OPERATORS);
const MODES = [["required", "Required (has)"], ["not_required", "Not required (has not)"],
  ["optional", "Optional (has optionally)"]];
const KINDS = [["event", "Event"], ["trait", "Trait"], ["computed_trait", "Computed trait"],
  ["audience", "Audience membership"], ["group", "Group of conditions"]];
const EVENT_TYPES = [["track", "Track event"], ["page", "Page view"], ["screen", "Screen view"],
  ["any", "Any activity"]];
const COUNTS = [["at_least", "at least"], ["at_most", "at most"], ["exactly", "exactly"]];
export const WINDOWS = [["", "at any time"], ["quick", "in the last"], ["relative", "between … ago"],
  ["absolute", "between two dates"], ["before", "before a date"], ["after", "after a date"]];
const UNITS = [["minutes", "minutes"], ["hours", "hours"], ["days", "days"], ["weeks", "weeks"]];
const VALUE_TYPES = [["number", "Number"], ["string", "Text"], ["boolean", "True / false"]];

// --- which events ---

/** The event type the editor shows for an event spec: track (by name), page, screen, or any activity. */
export function eventType(spec) {
  if (spec.type) return spec.type;
  return spec.name ? "track" : "any";
}

function setEventType(spec, type) {
  delete spec.type;
  if (type === "any") delete spec.name;
  else if (type !== "track" || !spec.name) spec.type = type;
}

/** The catalog's events of a type: `[{type, name, properties}]`. */
function catalogEvents(ctx, type) {
  return (ctx.catalog?.events || []).filter((e) => type === "any" || e.type === type);
}

/** The property paths the catalog has seen on events like `spec`, with their types. */
function catalogProperties(ctx, spec) {
  const type = eventType(spec);
  const matching = catalogEvents(ctx, type).filter((e) => !spec.name || e.name === spec.name);
  const found = new Map();
  for (const event of matching) {
    for (const property of event.properties) {
      found.set(property.path, [...new Set([...(found.get(property.path) || []), ...property.types])]);
    }
  }
  return found;
}

/** Suggestions for `input`: a datalist of `values()`, made anew whenever the input is focused (the event may have
 * changed) and when the catalog arrives. */
function suggest(input, values) {
  const list = h("datalist", { id: uid("list") });
  input.setAttribute("list", list.id);
  const refresh = () => fill(list, values().map((v) => h("option", { value: v })));
  input.addEventListener("focus", refresh);
  input.addEventListener(SUGGESTIONS_CHANGED, refresh);
  refresh();
  return list;
}

/** Type, name and property filters of an event spec (what an event condition and a computed trait share). */
export function eventFields(spec, path, ctx) {
  const type = eventType(spec);
  const typeSelect = select(EVENT_TYPES, {
    value: type, "data-path": `${path}.type`, "data-key": `${path}#type`,
    onchange: () => { setEventType(spec, typeSelect.value); ctx.rerender(`${path}#type`); },
  });
  const parts = [field("Event type", typeSelect)];
  if (type !== "any") {
    const names = () => [...new Set(catalogEvents(ctx, type).map((e) => e.name).filter(Boolean))];
    const name = h("input", {
      type: "text", value: spec.name || "", autocomplete: "off", "data-path": `${path}.name`,
      "data-key": `${path}.name`, placeholder: type === "track" ? "e.g. Order Completed" : `any ${type}`,
      onchange: () => {
        const text = name.value.trim();
        if (text) spec.name = text; else delete spec.name;
        setEventType(spec, type);
        ctx.changed();  // not drawn anew: the focus has moved on (property suggestions follow when focused)
      },
    });
    const seen = names().length;
    parts.push(field(type === "track" ? "Event name" : `${type === "page" ? "Page" : "Screen"} name`, name,
      { hint: seen ? `${seen} name${seen === 1 ? "" : "s"} seen` : "" }), suggest(name, names));
  }
  return [h("div", { class: "row" }, parts), whereEditor(spec, path, ctx)];
}

function whereEditor(spec, path, ctx) {
  const where = spec.where || [];
  const rows = where.map((filter, i) => {
    const here = `${path}.where[${i}]`;
    const hints = () => catalogProperties(ctx, spec).get(filter.property);
    const [op, value] = testFields(filter, here, ctx, hints);
    const property = h("input", {
      type: "text", value: filter.property || "", autocomplete: "off", placeholder: "e.g. price",
      "data-path": `${here}.property`, "data-key": `${here}.property`,
      onchange: () => { filter.property = property.value.trim(); value.retype(); ctx.changed(); },
    });
    const remove = h("button", {
      type: "button", class: "icon", "aria-label": `Remove filter ${i + 1}`, title: "Remove filter",
      onclick: () => { where.splice(i, 1); if (!where.length) delete spec.where; ctx.rerender(`${path}#add-filter`); },
    }, "✕");
    return h("div", { class: "row filter", "data-path": here }, field("Property", property),
      suggest(property, () => [...catalogProperties(ctx, spec).keys()]), op, value, remove);
  });
  const add = h("button", {
    type: "button", class: "link", "data-key": `${path}#add-filter`,
    onclick: () => {
      spec.where = [...where, { property: "", op: "eq", value: "" }];
      ctx.rerender(`${path}.where[${where.length}].property`);
    },
  }, "+ Property filter");
  return h("div", { class: "filters" }, rows.length ? h("p", { class: "sub" }, "where") : null, rows, add);
}

// --- value tests ---

const valueTypes = new WeakMap(); // a test -> the type the user chose for its value

/** The value type the catalog's JSON types suggest, if they suggest one. */
function hintedType(hints) {
  if (hints?.includes("number") && !hints.includes("string")) return "number";
  if (hints?.length === 1 && hints[0] === "boolean") return "boolean";
  if (hints?.includes("string")) return "string";
  return null;
}

function inferType(test, hints) {
  const sample = Array.isArray(test.value) ? test.value[0] : test.value;
  if (typeof sample === "number") return "number";
  if (typeof sample === "boolean") return "boolean";
  if (typeof sample === "string" && sample !== "") return "string";
  return hintedType(hints) || "string";
}

function typed(text, type) {
  const trimmed = text.trim();
  if (type === "number") return trimmed === "" || Number.isNaN(Number(trimmed)) ? { bad: "Enter a number" } : { value: Number(trimmed) };
  if (type === "boolean") return trimmed === "true" || trimmed === "false" ? { value: trimmed === "true" } : { bad: "Enter true or false" };
  return { value: text };
}

function asText(value) {
  if (Array.isArray(value)) return value.map(String).join(", ");
  return value == null ? "" : String(value);
}

function toLocalInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function fromLocalInput(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** When the operator changes, the value takes the shape the new one needs. */
function reshape(test) {
  if (test.op === "exists") test.value = typeof test.value === "boolean" ? test.value : true;
  else if (test.op === "in") test.value = Array.isArray(test.value) ? test.value : (test.value === "" || test.value == null ? [] : [test.value]);
  else if (test.op === "before" || test.op === "after") test.value = typeof test.value === "string" && fromLocalInput(test.value) ? test.value : "";
  else if (Array.isArray(test.value)) test.value = test.value[0] ?? "";
  else if (typeof test.value === "boolean") test.value = "";
}

/** Operator and value of a test (`{op, value}`): of an event property, a trait or a computed trait. `hints()`
 * are the JSON types the catalog saw for what is tested; the value cell's `refresh()` follows a change of them. */
export function testFields(test, path, ctx, hints) {
  const cell = h("div", { class: "row value-cell" });
  const op = select(OPERATORS, {
    value: test.op, "data-path": `${path}.op`, "data-key": `${path}.op`,
    onchange: () => { test.op = op.value; reshape(test); cell.refresh(); ctx.changed(); },
  });
  let current;
  cell.refresh = () => { current = valueFields(test, path, ctx, hints); fill(cell, current.elements); };
  // What is tested changed (another property): its value follows the type seen for it, unless the user chose one.
  // The controls stay, since the focus is likely in them by now.
  cell.retype = () => current.retype?.();
  cell.refresh();
  return [field("Operator", op), cell];
}

/** The value controls of a test for its operator: `{elements, retype}`. */
function valueFields(test, path, ctx, hints) {
  const key = `${path}.value`;
  if (test.op === "exists") {
    const present = select([["true", "is present"], ["false", "is absent"]], {
      value: String(test.value !== false), "data-path": key, "data-key": key,
      onchange: () => { test.value = present.value === "true"; ctx.changed(); },
    });
    return { elements: [field("Value", present)] };
  }
  if (test.op === "before" || test.op === "after") {
    const when = h("input", {
      type: "datetime-local", value: toLocalInput(test.value), "data-path": key, "data-key": key,
      onchange: () => { test.value = fromLocalInput(when.value) || ""; ctx.changed(); },
    });
    return { elements: [field("Date (your time)", when)] };
  }
  // The type the user chose, else the one the value has, else the one the catalog saw for what is tested.
  let inferred = inferType(test, hints());
  const type = valueTypes.get(test) ?? inferred;
  const many = test.op === "in";
  const input = h("input", {
    type: "text", value: asText(test.value), "data-path": key, "data-key": key, autocomplete: "off",
    placeholder: many ? "a, b, c" : type === "number" ? "e.g. 100" : type === "boolean" ? "true or false" : "text",
    oninput: () => { read(); ctx.changed(); },
  });
  const kind = select(VALUE_TYPES, {
    value: type, "data-key": `${key}#type`, class: "value-type",
    onchange: () => { valueTypes.set(test, kind.value); read(); ctx.changed(); },
  });
  function read() {
    const chosen = valueTypes.get(test) ?? inferred;
    const texts = many ? input.value.split(",").map((t) => t.trim()).filter(Boolean) : [input.value];
    const results = texts.map((t) => typed(t, chosen));
    const bad = results.find((r) => r.bad);
    if (bad) ctx.localErrors.set(key, bad.bad); else ctx.localErrors.delete(key);
    if (!bad) test.value = many ? results.map((r) => r.value) : results[0].value;
  }
  function retype() {
    const hinted = hintedType(hints());
    if (valueTypes.has(test) || !hinted || hinted === inferred) return;
    inferred = hinted;
    kind.value = hinted;
    read();
  }
  if (input.value !== "" || !many) read();
  return { elements: [field(many ? "Values (comma-separated)" : "Value", input), field("Value type", kind)], retype };
}

// --- counts and windows ---

export function countFields(spec, path, ctx) {
  const count = spec.count || { op: "at_least", value: 1 };
  const op = select(COUNTS, {
    value: count.op, "data-path": `${path}.count.op`,
    onchange: () => { spec.count = { ...count, op: op.value }; ctx.changed(); },
  });
  const value = h("input", {
    type: "number", min: "0", step: "1", value: String(count.value ?? 1), class: "narrow", "aria-label": "Times",
    "data-path": `${path}.count.value`,
    oninput: () => {
      const n = Number(value.value);
      if (value.value === "" || !Number.isInteger(n)) ctx.localErrors.set(`${path}.count.value`, "Enter a whole number");
      else { ctx.localErrors.delete(`${path}.count.value`); spec.count = { op: op.value, value: n }; }
      ctx.changed();
    },
  });
  return h("div", { "data-path": `${path}.count` }, pair("How often", op, value, "times"));
}

/** One labelled field of two controls and a trailing word: "How often [at least] [1] times". */
function pair(label, first, second, after) {
  if (!first.id) first.id = uid();
  return h("div", { class: "field" }, h("label", { for: first.id }, label),
    h("span", { class: "pair" }, first, second, after ? h("span", { class: "joiner" }, after) : null));
}

function spanFields(holder, key, path, ctx, label, after) {
  const span = holder[key] || (holder[key] = { amount: 30, unit: "days" });
  const amount = h("input", {
    type: "number", min: "1", step: "1", value: String(span.amount ?? ""), class: "narrow",
    "data-path": `${path}.${key}.amount`, "data-key": `${path}.${key}.amount`,
    oninput: () => {
      const n = Number(amount.value);
      if (amount.value === "" || !Number.isInteger(n)) ctx.localErrors.set(`${path}.${key}.amount`, "Enter a whole number");
      else { ctx.localErrors.delete(`${path}.${key}.amount`); span.amount = n; }
      ctx.changed();
    },
  });
  const unit = select(UNITS, {
    value: span.unit, "data-path": `${path}.${key}.unit`, "aria-label": `${label} unit`,
    onchange: () => { span.unit = unit.value; ctx.changed(); },
  });
  return pair(label, amount, unit, after);
}

function instantField(window, key, path, ctx, label) {
  const input = h("input", {
    type: "datetime-local", value: toLocalInput(window[key]), "data-path": `${path}.${key}`,
    "data-key": `${path}.${key}`,
    onchange: () => { const iso = fromLocalInput(input.value); if (iso) window[key] = iso; else delete window[key]; ctx.changed(); },
  });
  return field(label, input);
}

const WINDOW_DEFAULTS = {
  quick: () => ({ kind: "quick", last: { amount: 30, unit: "days" } }),
  relative: () => ({ kind: "relative", from: { amount: 90, unit: "days" }, to: { amount: 30, unit: "days" } }),
  absolute: () => {
    const end = new Date();
    end.setSeconds(0, 0);
    return { kind: "absolute", start: new Date(end.getTime() - 30 * 86400000).toISOString(), end: end.toISOString() };
  },
  before: () => ({ kind: "before", at: new Date(new Date().setSeconds(0, 0)).toISOString() }),
  after: () => ({ kind: "after", at: new Date(Date.now() - 30 * 86400000).toISOString() }),
};

/** When: the `window` of `holder` (an event condition or a computed trait), at `path` (the holder's path). */
export function windowFields(holder, path, ctx) {
  const here = path ? `${path}.window` : "window";
  const window = holder.window;
  const kind = select(WINDOWS, {
    value: window?.kind || "", "data-path": `${here}.kind`, "data-key": `${here}.kind`,
    onchange: () => {
      for (const key of [...ctx.localErrors.keys()]) if (key.startsWith(here)) ctx.localErrors.delete(key);
      if (kind.value) holder.window = WINDOW_DEFAULTS[kind.value](); else delete holder.window;
      ctx.rerender(`${here}.kind`);
    },
  });
  const parts = [field("When", kind)];
  if (window?.kind === "quick") parts.push(spanFields(window, "last", here, ctx, "Last"));
  if (window?.kind === "relative") {
    parts.push(spanFields(window, "from", here, ctx, "From", "ago"), spanFields(window, "to", here, ctx, "To", "ago"));
  }
  if (window?.kind === "absolute") {
    parts.push(instantField(window, "start", here, ctx, "From (your time)"), instantField(window, "end", here, ctx, "To"));
  }
  if (window?.kind === "before" || window?.kind === "after") parts.push(instantField(window, "at", here, ctx, "Date (your time)"));
  return h("div", { class: "row window", "data-path": here }, parts);
}

// --- conditions ---

const DEFAULT_BODIES = {
  event: () => ({}),
  trait: () => ({ path: "", op: "eq", value: "" }),
  computed_trait: (ctx) => ({ name: ctx.computedTraits[0]?.name || "", op: "gt", value: "" }),
  audience: (ctx) => ({ name: ctx.audiences[0]?.name || "", member: true }),
  group: () => ({ conditions: [{ mode: "required", event: {} }] }),
};

export function conditionKind(condition) {
  return KINDS.map(([k]) => k).find((k) => k in condition) || "event";
}

function conditionEditor(conditions, i, path, ctx) {
  const condition = conditions[i];
  const here = `${path}[${i}]`;
  const kind = conditionKind(condition);
  const mode = select(MODES, {
    value: condition.mode, "data-path": `${here}.mode`, "data-key": `${here}.mode`,
    onchange: () => { condition.mode = mode.value; ctx.changed(); },
  });
  const kindSelect = select(KINDS, {
    value: kind, "data-key": `${here}#kind`,
    onchange: () => {
      delete condition[kind];
      condition[kindSelect.value] = DEFAULT_BODIES[kindSelect.value](ctx);
      ctx.rerender(`${here}#kind`);
    },
  });
  const remove = h("button", {
    type: "button", class: "secondary small", "data-key": `${here}#remove`,
    onclick: () => { conditions.splice(i, 1); ctx.rerender(`${path}#add`); },
  }, "Remove");
  const body = condition[kind];
  const at = `${here}.${kind}`;
  let content;
  if (kind === "event") {
    content = [...eventFields(body, at, ctx), h("div", { class: "row when" }, countFields(body, at, ctx), windowFields(body, at, ctx))];
  } else if (kind === "trait") {
    const traits = () => new Map((ctx.catalog?.traits || []).map((t) => [t.path, t.types]));
    const [op, value] = testFields(body, at, ctx, () => traits().get(body.path));
    const traitPath = h("input", {
      type: "text", value: body.path, autocomplete: "off", placeholder: "e.g. plan",
      "data-path": `${at}.path`, "data-key": `${at}.path`,
      onchange: () => { body.path = traitPath.value.trim(); value.retype(); ctx.changed(); },
    });
    content = h("div", { class: "row" }, field("Trait", traitPath), suggest(traitPath, () => [...traits().keys()]), op, value);
  } else if (kind === "computed_trait") {
    const names = ctx.computedTraits.map((t) => [t.name, t.name]);
    // Counts, sums and the like are numbers; the other kinds take the type of the property they read.
    const numeric = new Set(["count", "sum", "avg", "min", "max", "unique_list_count"]);
    const hints = () => (numeric.has(ctx.computedTraits.find((t) => t.name === body.name)?.kind) ? ["number"] : null);
    const [op, value] = testFields(body, at, ctx, hints);
    const name = select(names.length ? names : [["", "— no computed traits yet —"]], {
      value: body.name, "data-path": `${at}.name`, "data-key": `${at}.name`,
      onchange: () => { body.name = name.value; value.retype(); ctx.changed(); },
    });
    content = h("div", { class: "row" }, field("Computed trait", name), op, value);
  } else if (kind === "audience") {
    const names = ctx.audiences.filter((a) => a.name !== ctx.selfName).map((a) => [a.name, a.name]);
    const name = select(names.length ? names : [["", "— no other audiences yet —"]], {
      value: body.name, "data-path": `${at}.name`, "data-key": `${at}.name`,
      onchange: () => { body.name = name.value; ctx.changed(); },
    });
    const member = select([["true", "is a member of"], ["false", "is not a member of"]], {
      value: String(body.member !== false), "data-path": `${at}.member`,
      onchange: () => { body.member = member.value === "true"; ctx.changed(); },
    });
    content = h("div", { class: "row" }, field("Membership", member), field("Audience", name));
  } else {
    content = conditionsEditor(body.conditions, `${at}.conditions`, ctx);
  }
  return h("li", { class: `condition mode-${condition.mode}`, "data-path": here },
    h("div", { class: "condition-head" }, field("Mode", mode), field("Condition", kindSelect), remove),
    h("div", { class: "condition-body", "data-path": at }, content));
}

/** A list of conditions, each with its mode, and a button to add one. */
export function conditionsEditor(conditions, path, ctx) {
  const add = h("button", {
    type: "button", class: "secondary", "data-key": `${path}#add`,
    onclick: () => {
      conditions.push({ mode: "required", event: {} });
      ctx.rerender(`${path}[${conditions.length - 1}].mode`);
    },
  }, "+ Add condition");
  return h("div", { class: "conditions", "data-path": path },
    h("ol", { class: "condition-list" }, conditions.map((_, i) => conditionEditor(conditions, i, path, ctx))),
    add);
}

// --- errors next to their fields ---

/** Shows `message` next to the control whose `data-path` is `path`, or the closest enclosing one; returns whether
 * a place was found. */
export function showError(root, path, message) {
  let best = null;
  for (const el of root.querySelectorAll("[data-path]")) {
    const candidate = el.dataset.path;
    const fits = candidate === path || (path.startsWith(candidate) && ".[".includes(path[candidate.length]));
    if (fits && (!best || candidate.length > best.dataset.path.length)) best = el;
  }
  if (!best) return false;
  const id = uid("err");
  const note = h("p", { class: "error", id }, message);
  if (best.matches("input, select, textarea")) {
    best.setAttribute("aria-invalid", "true");
    best.setAttribute("aria-describedby", id);
    const holder = best.closest(".field") || best;
    holder.classList.add("invalid");
    holder.append(note);
  } else {
    best.classList.add("invalid");
    best.append(note);
  }
  return true;
}

export function clearErrors(root) {
  for (const note of root.querySelectorAll("p.error")) note.remove();
  for (const el of root.querySelectorAll(".invalid")) el.classList.remove("invalid");
  for (const el of root.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  }
}

/** Puts the focus back where the user was after the form was drawn anew. */
export function restoreFocus(root, key) {
  if (!key) return;
  const el = root.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (el) el.focus();
}

// --- definitions in words ---

function span(s) { return `${s.amount} ${s.unit}`; }

export function describeWindow(window) {
  if (!window) return "";
  const at = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  switch (window.kind) {
    case "quick": return `in the last ${span(window.last)}`;
    case "relative": return `between ${span(window.from)} and ${span(window.to)} ago`;
    case "absolute": return `between ${at(window.start)} and ${at(window.end)}`;
    case "before": return `before ${at(window.at)}`;
    case "after": return `after ${at(window.at)}`;
    default: return "";
  }
}

function describeTest(subject, test) {
  if (test.op === "exists") return `${subject} ${test.value === false ? "is absent" : "is present"}`;
  const value = Array.isArray(test.value) ? test.value.map((v) => JSON.stringify(v)).join(", ") : JSON.stringify(test.value);
  return `${subject} ${OPERATOR_WORDS[test.op] || test.op} ${value}`;
}

export function describeEvents(spec) {
  const type = eventType(spec);
  const what = type === "any" ? "any activity" : type === "track" ? `“${spec.name || "any track event"}”`
    : `${type} ${spec.name ? `“${spec.name}”` : "(any)"}`;
  const where = (spec.where || []).map((f) => describeTest(f.property, f)).join(" and ");
  return where ? `${what} where ${where}` : what;
}

/** One condition in words, as a list item (groups nest). */
export function describeCondition(condition) {
  const kind = conditionKind(condition);
  const body = condition[kind];
  const mode = h("span", { class: `badge mode-${condition.mode}` }, MODES.find(([m]) => m === condition.mode)?.[1] || condition.mode);
  let text;
  if (kind === "event") {
    const count = body.count && !(body.count.op === "at_least" && body.count.value === 1)
      ? `, ${body.count.op.replace("_", " ")} ${body.count.value} times` : "";
    text = `did ${describeEvents(body)}${count}${body.window ? `, ${describeWindow(body.window)}` : ""}`;
  } else if (kind === "trait") text = `trait ${describeTest(body.path, body)}`;
  else if (kind === "computed_trait") text = `computed trait ${describeTest(body.name, body)}`;
  else if (kind === "audience") text = `${body.member === false ? "is not" : "is"} a member of “${body.name}”`;
  else {
    return h("li", {}, mode, " the group:",
      h("ul", { class: "summary" }, body.conditions.map(describeCondition)));
  }
  return h("li", {}, mode, " ", text);
}
