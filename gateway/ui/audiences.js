// Audiences: the list, one audience (definition, size over time, members), and the builder.

import { ago, field, fill, formatNumber, formatTime, h } from "./dom.js";
import { editDraft } from "./drafts.js";
import { conditionsEditor, describeCondition } from "./editors.js";
import {
  failure, pageHeader, personLink, POLL_MS, profileRows, statusBadge, whenCatalogArrives, whileShown,
  workspaceContext,
} from "./parts.js";

// --- the list ---

export async function audienceList(view, api) {
  const body = h("tbody");
  const table = h("div", { class: "table-wrap" }, h("table", { class: "list" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col", class: "num" }, "Size"),
      h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Last change"))),
    body));
  fill(view, pageHeader("Audiences", h("a", { class: "button", href: "#/audiences/new" }, "New audience")),
    h("p", { class: "lead" }, "People grouped by what they did and who they are, kept up to date as events arrive."),
    table);

  async function load() {
    const { data } = await api.get("audiences");
    if (!data.length) {
      fill(body, h("tr", {}, h("td", { colspan: "4", class: "empty" },
        "No audiences yet. ", h("a", { href: "#/audiences/new" }, "Build the first one"), ".")));
      return false;
    }
    fill(body, data.map((a) => h("tr", {},
      h("td", {}, h("a", { href: `#/audiences/${a.id}` }, a.name),
        a.description ? h("div", { class: "sub" }, a.description) : null),
      h("td", { class: "num" }, formatNumber(a.size ?? 0)),
      h("td", {}, statusBadge(a.status)),
      h("td", { title: formatTime(a.updated_at) }, ago(a.status?.updated_at || a.updated_at)))));
    return data.some((a) => a.status?.state === "building");
  }
  try {
    if (await load()) whileShown(view, POLL_MS, load);
  } catch (error) {
    view.append(failure(error));
  }
}

// --- one audience ---

function sizeChart(points) {
  const width = 600;
  const height = 140;
  const top = Math.max(1, ...points.map((p) => p.size));
  const step = width / points.length;
  const bar = Math.max(1, step * 0.7);
  return h("figure", { class: "chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height + 18}`, role: "img", "aria-label": `Size over time: from ${points[0].size} to ${points.at(-1).size}` },
      points.map((p, i) => {
        const tall = Math.round((p.size / top) * height);
        return svg("g", {},
          svg("rect", { x: i * step + (step - bar) / 2, y: height - tall, width: bar, height: Math.max(tall, p.size ? 1 : 0), class: "bar" },
            svg("title", {}, `${formatTime(p.at)}: ${p.size} (+${p.entered}, -${p.exited})`)));
      }),
      svg("line", { x1: 0, x2: width, y1: height + 0.5, y2: height + 0.5, class: "axis" }),
      svg("text", { x: 0, y: height + 15, class: "tick" }, formatTime(points[0].at)),
      svg("text", { x: width, y: height + 15, class: "tick", "text-anchor": "end" }, "now")),
    h("figcaption", {}, `Peak ${formatNumber(top)}; now ${formatNumber(points.at(-1).size)}`));
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const child of children.flat()) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

export async function audienceDetail(view, api, id) {
  let audience;
  try {
    audience = await api.get(`audiences/${id}`);
  } catch (error) {
    fill(view, pageHeader("Audience"), failure(error));
    return;
  }
  const status = h("div", { class: "stat" });
  const size = h("div", { class: "stat" });
  const chartHolder = h("div", {});
  const members = h("tbody");
  const pager = h("div", { class: "pager" });
  const remove = h("button", {
    type: "button", class: "danger",
    onclick: async () => {
      if (!confirm(`Delete the audience “${audience.name}”?`)) return;
      try {
        await api.delete(`audiences/${id}`);
        location.hash = "#/audiences";
      } catch (error) {
        view.querySelector(".page-head").after(failure(error));
      }
    },
  }, "Delete");
  let range = "day";
  const rangeButtons = [["day", "30 days"], ["hour", "48 hours"]].map(([bucket, label]) => h("button", {
    type: "button", class: "secondary small", "aria-pressed": String(bucket === range),
    onclick: (e) => {
      range = bucket;
      for (const b of e.target.parentElement.children) b.setAttribute("aria-pressed", String(b === e.target));
      loadChart();
    },
  }, label));

  fill(view,
    pageHeader(audience.name, h("a", { class: "button", href: `#/audiences/${id}/edit` }, "Edit"), remove),
    audience.description ? h("p", { class: "lead" }, audience.description) : null,
    h("div", { class: "stats" }, size, status,
      h("div", { class: "stat" }, h("span", { class: "label" }, "Last change"), h("span", { class: "value small" }, formatTime(audience.updated_at)))),
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "Definition"),
        h("ul", { class: "summary" }, audience.conditions.map(describeCondition)),
        h("details", {}, h("summary", {}, "As JSON"), h("pre", {}, JSON.stringify(
          { name: audience.name, description: audience.description, conditions: audience.conditions }, null, 2)))),
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Size over time"), h("div", { class: "toggle", role: "group", "aria-label": "Period" }, rangeButtons)),
        chartHolder)),
    h("section", { class: "card" }, h("h2", {}, "Members"),
      h("div", { class: "table-wrap" }, h("table", { class: "list" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Profile"), h("th", { scope: "col" }, "User id"), h("th", { scope: "col" }, "Email"))),
        members)),
      pager));

  function showStatus(a) {
    fill(size, h("span", { class: "label" }, "Size"), h("span", { class: "value", "data-testid": "size" }, formatNumber(a.size ?? 0)));
    fill(status, h("span", { class: "label" }, "Status"), h("span", { class: "value small" }, statusBadge(a.status)),
      a.status?.state === "failed" ? h("p", { class: "error" }, a.status.error) : null);
  }

  async function loadChart() {
    try {
      const { data } = await api.get(`audiences/${id}/size-history`, { bucket: range, buckets: range === "day" ? 30 : 48 });
      fill(chartHolder, sizeChart(data));
    } catch (error) {
      fill(chartHolder, failure(error));
    }
  }

  const cursors = [""];
  async function loadMembers(page) {
    try {
      const answer = await api.get(`audiences/${id}/members`, { limit: 20, cursor: cursors[page] });
      cursors[page + 1] = answer.cursor;
      fill(members, answer.data.length ? profileRows(api, answer.data.map((m) => ({ id: m })))
        : h("tr", {}, h("td", { colspan: "3", class: "empty" }, audience.status?.state === "building" ? "Still building…" : "No members.")));
      fill(pager,
        h("button", { type: "button", class: "secondary small", disabled: page === 0, onclick: () => loadMembers(page - 1) }, "Previous"),
        h("span", { class: "sub" }, `Page ${page + 1}`),
        h("button", { type: "button", class: "secondary small", disabled: !answer.cursor, onclick: () => loadMembers(page + 1) }, "Next"));
    } catch (error) {
      fill(members, h("tr", {}, h("td", { colspan: "3" }, failure(error))));
    }
  }

  showStatus(audience);
  loadChart();
  loadMembers(0);
  if (audience.status?.state === "building") {
    whileShown(view, POLL_MS, async () => {
      audience = await api.get(`audiences/${id}`);
      showStatus(audience);
      if (audience.status?.state === "building") return true;
      cursors.length = 1;
      loadMembers(0);
      loadChart();
      return false;
    });
  }
}

// --- the builder ---

export async function audienceBuilder(view, api, id) {
  let loaded;
  try {
    loaded = await Promise.all([workspaceContext(api), id ? api.get(`audiences/${id}`) : null]);
  } catch (error) {
    fill(view, pageHeader(id ? "Edit audience" : "New audience"), failure(error));
    return;
  }
  const [workspace, existing] = loaded;
  const draft = existing
    ? { name: existing.name, description: existing.description || "", conditions: existing.conditions }
    : { name: "", description: "", conditions: [{ mode: "required", event: {} }] };

  const form = h("form", { class: "builder", novalidate: true });
  const conditionsHolder = h("div", {});
  const previewBox = h("div", { class: "preview-body", "aria-live": "polite" });
  const save = h("button", { type: "submit", disabled: true }, existing ? "Save changes" : "Save audience");
  const hint = h("span", { class: "sub", "aria-live": "polite" });
  const source = h("p", { class: "sub" }, "Loading what the workspace sent…");
  const ctx = Object.assign(editDraft({
    api, form, previewBox, save, hint, kind: "audiences", id, draft, label: "audience", waiting: "the audience's size",
    body: () => ({ name: draft.name.trim(), description: draft.description, conditions: draft.conditions }),
    render: () => fill(conditionsHolder, conditionsEditor(draft.conditions, "conditions", ctx)),
    showAnswer: (answer) => [
      h("p", { class: "big", "data-testid": "preview-size" }, formatNumber(answer.size)),
      h("p", { class: "muted" }, answer.size === 1 ? "profile matches now" : "profiles match now"),
      answer.sample.length ? h("div", {}, h("h3", {}, "Some of them"),
        h("ul", { class: "sample" }, answer.sample.slice(0, 5).map((pid) => h("li", {}, personLink(api, pid))))) : null],
  }), workspace, { selfName: existing?.name });
  const name = h("input", { type: "text", value: draft.name, "data-path": "name", required: true, autocomplete: "off",
    placeholder: "e.g. Viewed but not ordered", oninput: () => { draft.name = name.value; ctx.changed(); } });
  const description = h("input", { type: "text", value: draft.description, "data-path": "description", autocomplete: "off",
    placeholder: "Optional: what it is for", oninput: () => { draft.description = description.value; } });

  fill(form,
    h("section", { class: "card" }, h("div", { class: "row" }, field("Name", name, { wide: true }), field("Description", description, { wide: true }))),
    h("section", { class: "card" }, h("h2", {}, "Conditions"),
      h("p", { class: "help" }, "Required: the person has it. Not required: the person has not. Optional: when there are optional conditions, at least one must hold."),
      conditionsHolder),
    ctx.formError,
    h("div", { class: "form-actions" }, save, h("a", { href: existing ? `#/audiences/${id}` : "#/audiences", class: "button secondary" }, "Cancel"), hint));
  fill(view, pageHeader(existing ? `Edit ${existing.name}` : "New audience"),
    h("div", { class: "with-aside" }, form,
      h("aside", { class: "card preview", "aria-label": "Preview" }, h("h2", {}, "Preview"), previewBox, source)));
  ctx.rerender();
  whenCatalogArrives(workspace, ctx, form, ({ eventsRead }) => {
    source.textContent = `Names are suggested from the ${formatNumber(eventsRead)} most recent event${eventsRead === 1 ? "" : "s"}.`;
  });
}
