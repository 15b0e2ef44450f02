// The audience builder's shell: sign-in, navigation by URL hash, and the banner that says when the backend is
// unreachable. Every screen talks to the gateway's public REST API only (api.js).

import { Api, ApiError, connection, loadSession, readiness, saveSession, Unreachable } from "./api.js";
import { audienceBuilder, audienceDetail, audienceList } from "./audiences.js";
import { field, fill, h } from "./dom.js";
import { profileViewer } from "./profiles.js";
import { traitEditor, traitList } from "./traits.js";

const DEFAULT_WORKSPACE = "intilery/marketing/MARKETING";
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const banner = document.getElementById("banner");

let api = null;

const ROUTES = [
  [/^#\/audiences\/new$/, (view) => audienceBuilder(view, api)],
  [/^#\/audiences\/([\w-]+)\/edit$/, (view, id) => audienceBuilder(view, api, id)],
  [/^#\/audiences\/([\w-]+)$/, (view, id) => audienceDetail(view, api, id)],
  [/^#\/audiences$/, (view) => audienceList(view, api)],
  [/^#\/traits\/new$/, (view) => traitEditor(view, api)],
  [/^#\/traits\/([\w-]+)$/, (view, id) => traitEditor(view, api, id)],
  [/^#\/traits$/, (view) => traitList(view, api)],
  [/^#\/profiles\/(.+)$/, (view, identifier) => profileViewer(view, api, decodeURIComponent(identifier))],
  [/^#\/profiles$/, (view) => profileViewer(view, api)],
];

function signIn(problem = "") {
  const workspace = h("input", { type: "text", value: loadSession()?.workspace || DEFAULT_WORKSPACE, required: true,
    autocomplete: "username", spellcheck: "false" });
  const token = h("input", { type: "password", required: true, autocomplete: "current-password" });
  const error = h("p", { class: "error", role: "alert" }, problem);
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card sign-in", onsubmit: async (event) => {
    event.preventDefault();
    const session = { workspace: workspace.value.trim().replace(/^\/+|\/+$/g, ""), token: token.value.trim() };
    if (session.workspace.split("/").length !== 3) {
      fill(error, "The workspace is client/account/brand, e.g. intilery/marketing/MARKETING.");
      return;
    }
    submit.disabled = true;
    try {
      await new Api(session).get("audiences");
      saveSession(session);
      start(session);
    } catch (caught) {
      fill(error, caught instanceof Unreachable ? "The gateway cannot be reached; is the suite running?"
        : caught instanceof ApiError && caught.status === 403 ? "That token is not valid for this workspace."
          : caught.message);
      submit.disabled = false;
    }
  } },
  h("h1", { tabindex: "-1" }, "Sign in"),
  h("p", { class: "lead" }, "Use your workspace's auth token (the one the Profile API takes)."),
  field("Workspace", workspace, { hint: "client/account/brand" }), field("Auth token", token), error, submit);
  nav.hidden = true;
  fill(who);
  fill(main, form);
  (problem ? token : workspace.value ? token : workspace).focus();
}

function start(session) {
  api = new Api(session);
  nav.hidden = false;
  fill(who, h("span", { class: "workspace", title: "Workspace" }, session.workspace),
    h("button", { type: "button", class: "secondary small", onclick: () => { saveSession(null); api = null; signIn(); } }, "Sign out"));
  if (!location.hash || location.hash === "#/") location.hash = "#/audiences";
  else route();
}

async function route() {
  if (!api) return;
  const hash = location.hash || "#/audiences";
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", hash.startsWith(link.getAttribute("href")));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  const view = h("div", { class: "view" });
  fill(main, view);
  for (const [pattern, render] of ROUTES) {
    const match = pattern.exec(hash);
    if (match) {
      await render(view, ...match.slice(1));
      const heading = view.querySelector("h1");
      // Focus the new screen's heading, so keyboard and screen reader users start there; not on the builder and
      // the lookup, which put the focus in their first field themselves.
      if (heading && !view.contains(document.activeElement)) heading.focus({ preventScroll: true });
      return;
    }
  }
  fill(view, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/audiences" }, "Back to the audiences")));
}

// --- the backend's state, always in view ---

let retrying = null;

async function showConnection() {
  if (connection.state === "ok") {
    banner.hidden = true;
    fill(banner);
    clearTimeout(retrying);
    retrying = null;
    return;
  }
  banner.hidden = false;
  if (connection.state === "unreachable") {
    fill(banner, h("strong", {}, "The backend is unreachable."),
      " The gateway does not answer: check that the suite is running (make run). Retrying every few seconds…");
  } else {
    const ready = await readiness();
    const down = ready ? Object.entries(ready.checks || {}).filter(([, s]) => s !== "SERVING").map(([name]) => name) : [];
    fill(banner, h("strong", {}, "The backend is unavailable."),
      ` ${down.length ? `Not answering: ${down.join(", ")}.` : connection.detail} Retrying every few seconds…`);
  }
  if (!retrying) {
    const retry = async () => {
      await readiness();
      if (connection.state === "ok") {
        showConnection();
        route();
      } else retrying = setTimeout(retry, 3000);
    };
    retrying = setTimeout(retry, 3000);
  }
}

connection.addEventListener("change", showConnection);
window.addEventListener("hashchange", route);

// A 403 after sign-in means the token was revoked: ask again.
window.addEventListener("unhandledrejection", (event) => {
  if (event.reason instanceof ApiError && event.reason.status === 403) {
    saveSession(null);
    api = null;
    signIn("Your session is no longer valid: sign in again.");
  }
});

const saved = loadSession();
if (saved) start(saved); else signIn();
