/* Images page: start and watch crawls, then search them in a chat-like box (adlens.images). */
(function () {
  "use strict";
  const { api, sse, el, showError, fmt } = window.adlens;
  const $ = (id) => document.getElementById(id);
  let current = null; // crawl id being searched
  let watching = null; // EventSource of the crawl being watched

  function setCurrent(id) {
    current = id;
    $("im-current").textContent = id ? `in crawl ${id}` : "(choose or start a crawl)";
  }

  async function loadCrawls() {
    const host = $("im-crawls");
    try {
      const { crawls } = await api("/crawls");
      if (!crawls.length) { host.replaceChildren("No crawls yet."); return; }
      if (!current) setCurrent(crawls.find((c) => c.images > 0)?.crawl_id || crawls[0].crawl_id);
      host.classList.remove("muted");
      host.replaceChildren(adlens.table(crawls, [
        { key: "crawl_id", label: "crawl" },
        { key: "url", label: "start URL" },
        { key: "status", label: "status" },
        { key: "pages", label: "pages", num: true },
        { key: "images", label: "images", num: true },
        { key: "error_count", label: "errors", num: true },
        { key: "crawl_id", label: "", format: (id) => el("span", {},
          el("button", { class: "btn", type: "button", "data-crawl": id, onclick: () => setCurrent(id) }, "Search this"),
          el("button", { class: "btn", type: "button", onclick: () => deleteCrawl(id) }, "Delete")) },
      ]));
    } catch (err) { showError(host, err); }
  }

  async function deleteCrawl(id) {
    if (!window.confirm(`Delete crawl ${id} and its index?`)) return;
    try { await api(`/crawls/${id}`, { method: "DELETE" }); if (current === id) setCurrent(null); } catch (err) { showError($("im-status"), err); }
    loadCrawls();
  }

  function progressView(counters, state, message) {
    const c = counters || {};
    const done = (c.images_embedded || 0), found = (c.images_found || 0);
    const pct = found ? Math.min(100, Math.round((100 * done) / found)) : 0;
    return el("div", { id: "im-progress" },
      el("div", { class: "im-progress" },
        ["pages", "images_found", "images_embedded", "errors"].map((k) =>
          el("div", {}, el("b", { "data-counter": k }, String(c[k] || 0)), k.replace("_", " ")))),
      el("div", { class: "im-bar" }, el("span", { style: `width:${pct}%` })),
      el("p", { class: "muted", id: "im-state" }, state + (message ? ` — ${message}` : "")));
  }

  function watch(jobId, crawlId) {
    if (watching) watching.close();
    const status = $("im-status");
    let counters = {};
    status.replaceChildren(progressView(counters, "queued"));
    watching = sse(`/jobs/${jobId}/events`, (ev) => {
      if (!ev || typeof ev !== "object") return;
      if (ev.type === "progress" && ev.data) {
        counters = { ...counters, ...(ev.data.counters || {}) };
        status.replaceChildren(progressView(counters, "running", ev.data.message));
      } else if (ev.type === "state" && ev.data) {
        status.replaceChildren(progressView(counters, ev.data.state, ev.data.error));
      }
    }, async () => {
      watching = null;
      try {
        const info = await api(`/crawls/${crawlId}`);
        status.replaceChildren(progressView({ pages: info.pages, images_found: info.images_found,
          images_embedded: info.embedded, errors: info.error_count }, info.status));
        if (info.errors && info.errors.length) {
          status.append(el("details", {}, el("summary", {}, `${info.errors.length} errors`),
            adlens.table(info.errors.slice(0, 50), ["url", "stage", "error"])));
        }
      } catch (err) { showError(status, err); }
      setCurrent(crawlId);
      loadCrawls();
    });
  }

  async function startCrawl(ev) {
    ev.preventDefault();
    const body = { url: $("im-url").value.trim(), limit: Number($("im-limit").value) || 50,
      depth: Number($("im-depth").value) || 0, render: $("im-render").checked, same_domain: $("im-same").checked };
    try {
      const job = await api("/crawls", { json: body });
      setCurrent(job.crawl_id);
      watch(job.job_id, job.crawl_id);
      loadCrawls();
    } catch (err) { showError($("im-status"), err); }
  }

  function whyTable(why) {
    const s = (why && why.scores) || {};
    const rows = Object.entries(s).map(([k, v]) => el("tr", {}, el("td", {}, k.replace(/_/g, " ")), el("td", {}, fmt(v, 3))));
    const extra = [];
    if (why.matched_terms && why.matched_terms.length) extra.push(el("div", {}, "matched: " + why.matched_terms.join(", ") + (why.matched_fields ? ` (in ${why.matched_fields.join(", ")})` : "")));
    if (why.phrase) extra.push(el("div", {}, `exact phrase: "${why.phrase}"`));
    if (why.relevance) extra.push(el("div", {}, `relevant by: ${why.relevance}`));
    if (why.filters && why.filters.length) extra.push(el("div", {}, "filters: " + why.filters.join(", ")));
    if (why.duplicates && why.duplicates.length) extra.push(el("div", {}, `${why.duplicates.length} near-duplicate(s) folded in`));
    if (why.near_duplicate_of_query) extra.push(el("div", {}, `near-duplicate of the query (${why.near_duplicate_of_query})`));
    return el("div", { class: "im-why", role: "tooltip" }, el("table", {}, el("tbody", {}, rows)), extra);
  }

  function card(r) {
    return el("div", { class: "im-card", "data-url": r.image_url, "data-id": r.id, tabindex: "0" },
      el("img", { src: r.thumb_url || r.image_url, alt: r.alt || "", loading: "lazy" }),
      el("div", { class: "im-meta" },
        el("div", {}, el("b", {}, fmt(r.score, 3)), " · ", (r.format || "?") + (r.width ? ` ${r.width}×${r.height}` : "")),
        el("div", { class: "muted" }, r.alt || "(no alt text)"),
        r.page_url ? el("a", { href: r.page_url, target: "_blank", rel: "noopener" }, "page") : null, " ",
        el("a", { href: r.image_url, target: "_blank", rel: "noopener" }, "image"), " ",
        el("button", { class: "btn", type: "button", onclick: () => similarById(r) }, "More like this")),
      whyTable(r.why || {}));
  }

  function say(node) {
    const chat = $("im-chat");
    chat.append(node);
    chat.scrollTop = chat.scrollHeight;
    return node;
  }

  function answer(results, parsed, title) {
    const chips = parsed ? el("div", { class: "im-chips" },
      el("span", { class: "chip" }, `semantic: ${parsed.semantic || "—"}`),
      (parsed.chips || []).map((c) => el("span", { class: "chip" }, c)),
      parsed.parser === "llm" ? el("span", { class: "chip" }, "parsed by LLM") : null) : null;
    const notes = parsed && parsed.notes && parsed.notes.length ? el("p", { class: "muted" }, parsed.notes.join(" ")) : null;
    const body = results.length
      ? el("div", { class: "im-grid" }, results.map(card))
      : el("p", { class: "muted im-empty" }, "No image matches (nothing passed the relevance floor).");
    return el("div", { class: "im-msg-bot" }, title ? el("div", { class: "muted" }, title) : null, chips, notes, body);
  }

  async function ask(ev) {
    ev.preventDefault();
    const query = $("im-query").value.trim();
    if (!query) return;
    say(el("div", { class: "im-msg-user" }, query));
    $("im-query").value = "";
    const pending = say(el("div", { class: "im-msg-bot muted" }, "searching…"));
    try {
      const res = await api("/images/search", { json: { query, crawl_id: current, k: 12, parser: $("im-parser").value } });
      pending.replaceWith(say(answer(res.results, { ...res.parsed, chips: res.parsed.chips })));
    } catch (err) { showError(pending, err); }
  }

  async function similarById(r) {
    say(el("div", { class: "im-msg-user" }, `More like “${r.alt || r.image_url}”`));
    const pending = say(el("div", { class: "im-msg-bot muted" }, "searching…"));
    try {
      const res = await api("/images/similar", { json: { id: r.id, crawl_id: r.crawl_id || current, k: 12 } });
      pending.replaceWith(say(answer(res.results, null, "Images that look alike")));
    } catch (err) { showError(pending, err); }
  }

  async function similarByFile(file) {
    if (!file) return;
    say(el("div", { class: "im-msg-user" }, `Images like ${file.name}`));
    const pending = say(el("div", { class: "im-msg-bot muted" }, "searching…"));
    const form = new FormData();
    form.append("file", file);
    if (current) form.append("crawl_id", current);
    form.append("k", "12");
    try {
      const res = await api("/images/similar", { form });
      pending.replaceWith(say(answer(res.results, null, `Images that look like ${file.name}`)));
    } catch (err) { showError(pending, err); }
  }

  function initDrop() {
    const drop = $("im-drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("im-over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("im-over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault(); drop.classList.remove("im-over");
      similarByFile(e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
    });
    $("im-file").addEventListener("change", (e) => similarByFile(e.target.files[0]));
  }

  document.addEventListener("DOMContentLoaded", () => {
    setCurrent(null);
    $("im-crawl-form").addEventListener("submit", startCrawl);
    $("im-ask").addEventListener("submit", ask);
    initDrop();
    loadCrawls();
  });
})();
