(function () {
  "use strict";
  const { api, el, showError, table, fmt } = window.adlens;
  const badge = (ok, yes = "ok", no = "down") => el("span", { class: "badge " + (ok ? "ok" : "bad") }, ok ? yes : no);

  async function load() {
    let h;
    try { h = await api("/health"); } catch (err) { showError(document.getElementById("status-error"), err); return; }
    document.getElementById("server").replaceChildren(
      el("span", {}, "status ", el("strong", { id: "server-status" }, h.status)),
      el("span", {}, "version ", el("code", {}, h.version)),
      el("span", {}, "auth ", h.auth ? "API key required" : "open"),
    );
    document.getElementById("apps").replaceChildren(...h.apps.map((a) => el("div", { class: "card app-card", "data-app": a.name },
      el("h2", {}, a.available ? el("a", { href: a.page }, a.title) : a.title),
      el("p", { class: "muted" }, a.summary),
      a.available ? badge(true, "available") : el("span", { class: "badge warn" }, "not in this version"),
    )));
    const seams = [
      { seam: "store", backend: h.store.backend, ok: h.store.ok, detail: h.store.ok ? `${h.store.collections} collections` : h.store.error },
      { seam: "cache", backend: h.cache.backend, ok: h.cache.ok, detail: h.cache.ok ? "reachable" : h.cache.error },
      ...Object.entries(h.models).map(([k, v]) => ({ seam: k, backend: "local", ok: true, detail: v ? "loaded" : "loads on first use" })),
    ];
    document.getElementById("seams").replaceChildren(table(seams, [
      { key: "seam", label: "seam" }, { key: "backend", label: "backend" },
      { key: "ok", label: "state", format: (v) => badge(v) }, { key: "detail", label: "detail" },
    ]), el("p", { class: "muted" }, "versions: " + Object.entries(h.versions).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(" · ")));
    try {
      const { jobs } = await api("/jobs?limit=10");
      if (jobs.length) document.getElementById("jobs").replaceChildren(table(jobs, [
        { key: "id", label: "job" }, { key: "kind", label: "kind" }, { key: "state", label: "state" },
        { key: "done", label: "progress", format: (d, r) => (r.total ? `${d}/${r.total}` : "") },
        { key: "message", label: "message" },
      ]));
    } catch (_) { /* jobs are optional on the status page */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const input = document.getElementById("apikey");
    input.value = localStorage.getItem("adlens.apiKey") || "";
    document.getElementById("savekey").addEventListener("click", () => { localStorage.setItem("adlens.apiKey", input.value); load(); });
    load();
  });
})();
