// Pieces every screen uses: headers, statuses, failures, polling, rows of profiles, the workspace's definitions.

import { ApiError } from "./api.js";
import { fill, h, SUGGESTIONS_CHANGED } from "./dom.js";

export const POLL_MS = 1000;

/** Runs `f` every `ms` while `view` is on the page (a view is dropped when the user navigates away). */
export function whileShown(view, ms, f) {
  const tick = async () => {
    if (!view.isConnected) return;
    const again = await f().catch(() => true);
    if (again && view.isConnected) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

export function statusBadge(status) {
  const state = status?.state || "building";
  if (state === "building") {
    const percent = Math.round((status?.progress || 0) * 100);
    return h("span", { class: "status building" },
      h("span", { class: "spinner", "aria-hidden": "true" }), `Building ${percent}%`,
      h("progress", { max: "100", value: String(percent), "aria-label": "Build progress" }));
  }
  if (state === "failed") return h("span", { class: "status failed", title: status.error || "" }, "Failed");
  return h("span", { class: "status ready" }, "Ready");
}

export function pageHeader(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, title), h("div", { class: "actions" }, actions));
}

/** A message in place of content that could not be loaded. */
export function failure(error) {
  const text = error instanceof ApiError ? error.message : "The gateway cannot be reached.";
  return h("p", { class: "notice error-notice", role: "alert" }, text);
}

/** A link to a profile, named by its userId (else email) once known. */
export function personLink(api, id, attrs = {}) {
  const link = h("a", { href: `#/profiles/id:${encodeURIComponent(id)}`, title: id, ...attrs }, `${id.slice(0, 8)}…`);
  api.person(id).then((p) => {
    const one = p.data ? p.data[0] : p;
    link.textContent = one.externalId || one.email || link.textContent;
  }).catch(() => {});
  return link;
}

/** Table rows of profiles by id. `compact` rows have one cell for the person (a `personLink`) before `extra`; full
 * rows show the id, the userId and the email. */
export function profileRows(api, rows, { compact = false } = {}) {
  return rows.map(({ id, extra }) => {
    if (compact) return h("tr", {}, h("td", {}, personLink(api, id)), extra || null);
    const user = h("td", {}, "…");
    const email = h("td", {}, "");
    api.person(id).then((p) => {
      const one = p.data ? p.data[0] : p;
      fill(user, one.externalId || "—");
      fill(email, one.email || "—");
    }).catch(() => fill(user, "—"));
    return h("tr", {}, h("td", {}, h("a", { href: `#/profiles/id:${encodeURIComponent(id)}`, class: "mono" }, id)),
      user, email, extra || null);
  });
}

/** What the editors need of the workspace: the definitions conditions can name, and the catalog of what it sent.
 * The catalog can take a while on a large workspace, so it is not waited for: `catalog` is empty until
 * `catalogLoaded` resolves, and suggestions follow. */
export async function workspaceContext(api) {
  const [traits, audiences] = await Promise.all([api.get("computed-traits"), api.get("audiences")]);
  const context = {
    catalog: { events: [], traits: [], eventsRead: 0, profilesRead: 0 },
    computedTraits: traits.data,
    audiences: audiences.data,
  };
  context.catalogLoaded = api.get("catalog").then((catalog) => (context.catalog = catalog)).catch(() => context.catalog);
  return context;
}

/** Gives the editors' context the catalog once it arrives, and draws the form anew; while the user is in it, only
 * its fields' suggestions are filled again, so that nothing they are typing is disturbed. */
export function whenCatalogArrives(workspace, ctx, form, then = () => {}) {
  workspace.catalogLoaded.then((catalog) => {
    ctx.catalog = catalog;
    then(catalog);
    if (!form.isConnected) return;
    if (!form.contains(document.activeElement)) ctx.rerender();
    else form.querySelectorAll("input[list]").forEach((input) => input.dispatchEvent(new Event(SUGGESTIONS_CHANGED)));
  });
}
