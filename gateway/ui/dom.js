// Small DOM and formatting helpers: the page has no framework, only these.

/** An element: `h("a", {href: "#/x", onclick: f}, "text", child, [more])`. `value` is set after the children, so
 * that a <select> can take the value of one of its options. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (key === "value") value = v;
    else if (key.startsWith("on") && typeof v === "function") el.addEventListener(key.slice(2), v);
    else if (key === "class") el.className = v;
    else if (key === "dataset") Object.assign(el.dataset, v);
    else if (typeof v === "boolean") el.toggleAttribute(key, v);
    else el.setAttribute(key, v);
  }
  for (const child of children.flat(Infinity)) {
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  if (value !== undefined) el.value = value;
  return el;
}

/** A <select> of [value, label] pairs. */
export function select(options, attrs = {}) {
  return h("select", attrs, options.map(([value, label]) => h("option", { value }, label)));
}

let ids = 0;
/** A page-unique id, for label/for and aria-describedby pairs. */
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled control: `<div class="field"><label for>…</label>control</div>`. */
export function field(label, control, { hint, wide } = {}) {
  if (!control.id) control.id = uid();
  return h("div", { class: `field${wide ? " wide" : ""}` },
    h("label", { for: control.id }, label), control, hint ? h("small", { class: "hint" }, hint) : null);
}

const numberFormat = new Intl.NumberFormat();
export const formatNumber = (n) => numberFormat.format(n);

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "3 minutes ago", "in 2 days": how long ago an instant was, for lists. */
export function ago(iso) {
  if (!iso) return "—";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600],
    ["minute", 60]];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

/** A JSON value as short text, for tables. */
export function show(value) {
  if (value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** Calls `f` once `ms` have passed without another call. */
export function debounce(f, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => f(...args), ms);
  };
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  for (const child of children.flat(Infinity)) {
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** The event a field with suggestions (a datalist) listens to for filling them again: the catalog has arrived. */
export const SUGGESTIONS_CHANGED = "suggestions-changed";
