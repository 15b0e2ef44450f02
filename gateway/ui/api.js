// The gateway's public REST API, as the page uses it: every call carries the workspace's auth-token, errors come
// back in the API's one shape, and whether the backend answers at all is tracked for the banner.

const STORAGE_KEY = "cdp-ui-session";

export class ApiError extends Error {
  /** An answer in the API's error shape: `{"error": {"code", "message"}}`. `path` is the definition field a
   * validation message names (`conditions[2].event.window.from`), when it names one. */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
    const named = /^([A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_]\w*)*): (.+)$/s.exec(message || "");
    this.path = named ? named[1] : null;
    this.reason = named ? named[2] : message;
  }
}

/** The gateway did not answer at all (stopped, or the network is down). */
export class Unreachable extends Error {}

/** Whether the backend answers: "ok", "unreachable" (no answer) or "unavailable" (a 5xx from the gateway). */
export const connection = new EventTarget();
connection.state = "ok";
connection.detail = "";

function setConnection(state, detail = "") {
  if (connection.state === state && connection.detail === detail) return;
  connection.state = state;
  connection.detail = detail;
  connection.dispatchEvent(new Event("change"));
}

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** `id:…`, `email:…`: an identifier as a path segment (its value escaped, the type and colon kept). */
export function identifierPath(identifier) {
  const at = identifier.indexOf(":");
  return `${identifier.slice(0, at + 1)}${encodeURIComponent(identifier.slice(at + 1))}`;
}

export class Api {
  constructor({ workspace, token }) {
    this.workspace = workspace;
    this.token = token;
    this.base = `/track/${workspace.split("/").map(encodeURIComponent).join("/")}/v1`;
  }

  async request(method, path, body, params) {
    const query = params ? `?${new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== ""))}` : "";
    let response;
    try {
      response = await fetch(`${this.base}/${path}${query}`, {
        method,
        headers: { "auth-token": this.token, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      setConnection("unreachable");
      throw new Unreachable("The gateway cannot be reached.");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status >= 500) {
      setConnection("unavailable", data?.error?.message || `HTTP ${response.status}`);
      throw new ApiError(response.status, data?.error?.code || "internal_server_error",
        data?.error?.message || `The gateway answered ${response.status}.`);
    }
    setConnection("ok");
    if (!response.ok) {
      throw new ApiError(response.status, data?.error?.code || "error", data?.error?.message || response.statusText);
    }
    return data;
  }

  get(path, params) { return this.request("GET", path, undefined, params); }
  post(path, body) { return this.request("POST", path, body); }
  put(path, body) { return this.request("PUT", path, body); }
  delete(path) { return this.request("DELETE", path); }

  // A profile's identity (traits at the top level, `id`, `externalId`, `email`), for showing profile ids by name;
  // remembered for the page's life, since the builder and member lists show the same profiles again and again.
  async person(profileId) {
    const key = `${this.workspace}|${profileId}`;
    if (!people.has(key)) {
      people.set(key, this.get(`profiles/id:${encodeURIComponent(profileId)}/audiences`).catch((error) => {
        people.delete(key);
        throw error;
      }));
    }
    return people.get(key);
  }
}

const people = new Map();

/** Asks the gateway whether it and its backends answer (`/readyz`), to say which part is down. */
export async function readiness() {
  try {
    const response = await fetch("/readyz");
    const data = await response.json();
    if (response.ok) setConnection("ok");
    return data;
  } catch {
    setConnection("unreachable");
    return null;
  }
}
