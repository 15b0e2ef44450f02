// The profile viewer: one person by `email:`, `userId:` or `id:`, with traits, computed traits, audiences, recent
// events and membership history.

import { ApiError, identifierPath } from "./api.js";
import { failure, pageHeader } from "./parts.js";
import { field, fill, formatTime, h, show } from "./dom.js";

const ID_TYPES = ["email", "userId", "id", "anonymousId"];

function keyValues(object, empty) {
  const entries = Object.entries(object);
  if (!entries.length) return h("p", { class: "muted" }, empty);
  return h("dl", { class: "kv" }, entries.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, show(v))]));
}

export async function profileViewer(view, api, identifier) {
  const input = h("input", { type: "search", value: identifier || "", placeholder: "email:joe@example.com, userId:… or id:…",
    autocomplete: "off", spellcheck: "false" });
  const problem = h("p", { class: "error", role: "alert" });
  const result = h("div", {});
  const form = h("form", { class: "lookup", role: "search",
    onsubmit: (event) => {
      event.preventDefault();
      const text = input.value.trim();
      const type = text.split(":")[0];
      if (!text.includes(":") || !ID_TYPES.includes(type) || text.length <= type.length + 1) {
        fill(problem, "Write the identifier as email:…, userId:… or id:…");
        input.setAttribute("aria-invalid", "true");
        return;
      }
      location.hash = `#/profiles/${identifierPath(text)}`;
    } },
  field("Find a person", input), h("button", { type: "submit" }, "Look up"), problem);
  fill(view, pageHeader("Profiles"), form, result);
  if (!identifier) {
    input.focus();
    return;
  }
  const path = identifierPath(identifier);
  let found;
  try {
    found = await api.get(`profiles/${path}/audiences`);
  } catch (error) {
    fill(result, error instanceof ApiError && error.status === 404
      ? h("p", { class: "notice" }, `No profile has ${identifier}.`) : failure(error));
    return;
  }
  if (found.data) {
    // A shared email names several profiles: let the user choose one.
    fill(result, h("section", { class: "card" }, h("h2", {}, `${found.data.length} profiles share ${identifier}`),
      h("ul", {}, found.data.map((p) => h("li", {}, h("a", { href: `#/profiles/id:${encodeURIComponent(p.id)}` }, p.externalId || p.id))))));
    return;
  }
  const id = `id:${encodeURIComponent(found.id)}`;
  const [meta, computed, events, history] = await Promise.all([
    api.get(`profiles/${id}/meta`), api.get(`profiles/${id}/traits`, { class: "computed_trait" }),
    api.get(`profiles/${id}/events`, { size: 20 }), api.get(`profiles/${id}/audiences/history`, { size: 20 }),
  ].map((p) => p.catch((error) => ({ error }))));
  const { id: _id, externalId, email, audiences, audiencesStatic, createdAt, firstEvent, lastEvent, lastActivityTime, ...traits } = meta.error ? found : meta;
  void _id; void audiencesStatic; void firstEvent; void lastEvent;

  fill(result,
    h("section", { class: "card identity" },
      h("h2", {}, externalId || email || found.id),
      h("dl", { class: "kv" },
        h("dt", {}, "Profile id"), h("dd", { class: "mono" }, found.id),
        h("dt", {}, "User id"), h("dd", {}, externalId || "—"),
        h("dt", {}, "Email"), h("dd", {}, email || "—"),
        h("dt", {}, "First seen"), h("dd", {}, formatTime(createdAt)),
        h("dt", {}, "Last active"), h("dd", {}, formatTime(lastActivityTime)))),
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "Traits"), keyValues(traits, "No traits.")),
      h("section", { class: "card" }, h("h2", {}, "Computed traits"),
        computed.error ? failure(computed.error) : keyValues(computed.computed || {}, "No computed values.")),
      h("section", { class: "card" }, h("h2", {}, "Audiences"),
        audiences.length ? h("ul", { class: "chips" }, audiences.map((a) => h("li", {}, a))) : h("p", { class: "muted" }, "In no audience."))),
    h("section", { class: "card" }, h("h2", {}, "Recent events"),
      events.error ? failure(events.error) : events.data.length ? h("div", { class: "table-wrap" }, h("table", { class: "list" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Action"), h("th", { scope: "col" }, "Details"))),
        h("tbody", {}, events.data.map((e) => h("tr", {},
          h("td", { class: "nowrap" }, formatTime(e.eventTime)),
          h("td", {}, h("span", { class: "badge" }, e.rawData.type), " ", e.eventAction),
          h("td", {}, h("details", {}, h("summary", {}, summary(e.rawData)), h("pre", {}, JSON.stringify(e.rawData, null, 2))))))))) :
        h("p", { class: "muted" }, "No events.")),
    h("section", { class: "card" }, h("h2", {}, "Membership history"),
      history.error ? failure(history.error) : history.data.length ? h("div", { class: "table-wrap" }, h("table", { class: "list" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Audience"), h("th", { scope: "col" }, "Change"), h("th", { scope: "col" }, "Why"))),
        h("tbody", {}, history.data.map((c) => h("tr", {},
          h("td", { class: "nowrap" }, formatTime(c.at)),
          h("td", {}, h("a", { href: `#/audiences/${c.audienceId}` }, c.audience)),
          h("td", {}, h("span", { class: `badge ${c.change}` }, c.change)),
          h("td", {}, REASONS[c.reason] || c.reason)))))) :
        h("p", { class: "muted" }, "No membership changes yet.")));
}

const REASONS = { event: "new data", time: "a time window moved", definition: "the audience was (re)defined",
  reconcile: "a drift was repaired" };

function summary(raw) {
  const data = raw.properties || raw.traits || {};
  const text = Object.entries(data).slice(0, 4).map(([k, v]) => `${k}: ${show(v)}`).join(", ");
  return text || "details";
}
