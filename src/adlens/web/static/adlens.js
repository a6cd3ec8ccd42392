/* adlens web UI helpers: navigation, API calls with problem+json errors, SSE, tiny DOM builder. */
(function () {
  "use strict";
  const API = "/api/v1";
  const NAV = [
    ["", "Status"],
    ["contextual", "Contextual"],
    ["images", "Images"],
    ["adclass", "Ad classes"],
    ["creators", "Creators"],
    ["recommend", "Recommend"],
    ["analytics", "Analytics"],
  ];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function apiKey() { return localStorage.getItem("adlens.apiKey") || ""; }

  async function api(path, opts = {}) {
    const headers = { Accept: "application/json" };
    if (apiKey()) headers["X-API-Key"] = apiKey();
    const init = { method: opts.method || (opts.json || opts.form ? "POST" : "GET"), headers };
    if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.json); }
    else if (opts.form) init.body = opts.form;
    const res = await fetch(API + path, init);
    const type = res.headers.get("content-type") || "";
    const body = type.includes("json") ? await res.json() : await res.text();
    if (!res.ok) {
      const detail = body && body.detail ? body.detail : `${res.status} ${res.statusText}`;
      const err = new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
      err.problem = body; err.status = res.status;
      throw err;
    }
    return body;
  }

  function sse(path, onEvent, onDone) {
    const key = apiKey();
    const url = API + path + (key ? (path.includes("?") ? "&" : "?") + "api_key=" + encodeURIComponent(key) : "");
    const source = new EventSource(url);
    const handler = (e) => {
      let data = e.data;
      try { data = JSON.parse(e.data); } catch (_) { /* plain text */ }
      onEvent(data, e.type);
      if (data && data.type === "state" && ["done", "failed", "cancelled"].includes(data.data && data.data.state)) {
        source.close(); if (onDone) onDone(data);
      }
    };
    for (const t of ["message", "state", "progress", "log", "error", "result"]) source.addEventListener(t, handler);
    source.onerror = () => { if (source.readyState === EventSource.CLOSED && onDone) onDone(null); };
    return source;
  }

  function showError(container, err) {
    container.replaceChildren(el("div", { class: "error", role: "alert" }, err && err.message ? err.message : String(err)));
  }

  function table(rows, columns) {
    const cols = columns || (rows.length ? Object.keys(rows[0]) : []);
    const spec = cols.map((c) => (typeof c === "string" ? { key: c, label: c } : c));
    return el("table", {},
      el("thead", {}, el("tr", {}, spec.map((c) => el("th", { class: c.num ? "num" : null }, c.label)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, spec.map((c) => {
        const v = c.format ? c.format(r[c.key], r) : r[c.key];
        return el("td", { class: c.num ? "num" : null }, v instanceof Node ? v : (v === null || v === undefined ? "" : String(v)));
      })))));
  }

  function fmt(x, digits = 3) {
    if (x === null || x === undefined) return "—";
    if (typeof x !== "number") return String(x);
    return Math.abs(x) >= 1000 ? x.toLocaleString(undefined, { maximumFractionDigits: 1 }) : x.toFixed(digits);
  }

  function renderNav() {
    const host = document.getElementById("adlens-nav");
    if (!host) return;
    const current = document.body.dataset.page || "";
    const nav = el("nav", { "aria-label": "Applications" }, el("a", { class: "brand", href: "/" }, "adlens"));
    for (const [slug, label] of NAV) {
      nav.append(el("a", { class: "navlink" + (slug === current ? " active" : ""), href: "/" + slug, "data-app": slug || "status" }, label));
    }
    host.replaceChildren(nav);
    api("/health").then((h) => {
      for (const app of h.apps || []) {
        const link = nav.querySelector(`[data-app="${app.name}"]`);
        if (link && !app.available) { link.classList.add("absent"); link.title = "not available in this version"; }
      }
    }).catch(() => {});
  }

  window.adlens = { api, sse, el, showError, table, fmt, apiKey };
  document.addEventListener("DOMContentLoaded", renderNav);
})();
