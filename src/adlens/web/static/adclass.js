/* adclass page: keyword picker, import, classification job with live progress, stats chart, results, review, retrain. */
(function () {
  "use strict";
  const { api, sse, el, showError, fmt } = window.adlens;
  const $ = (id) => document.getElementById(id);
  let themes = [];
  let cursor = null;

  const keyword = () => $("ac-keyword").value;
  const enc = encodeURIComponent;

  async function loadThemes() {
    const t = await api("/adclass/themes");
    themes = t.themes.map((x) => x.name);
    $("ac-f-theme").replaceChildren(el("option", { value: "" }, "any"), ...themes.map((n) => el("option", { value: n }, n)));
  }

  async function loadKeywords(select) {
    const { keywords } = await api("/adclass/keywords");
    const box = $("ac-keyword");
    const current = select || box.value;
    box.replaceChildren(...keywords.map((k) => el("option", { value: k.keyword }, `${k.keyword} (${k.ads})`)));
    if (!keywords.length) box.append(el("option", { value: "" }, "no keywords yet: import ads"));
    if (current && keywords.some((k) => k.keyword === current)) box.value = current;
    $("ac-run").disabled = !keywords.length;
    await refresh();
  }

  async function refresh() {
    $("ac-error").replaceChildren();
    if (!keyword()) return;
    $("ac-export").href = `/api/v1/ads/export.csv?keyword=${enc(keyword())}`;
    await Promise.all([loadStats(), loadTable(false)]);
  }

  // --- statistics -------------------------------------------------------------------------------
  function barChart(counts) {
    const entries = Object.entries(counts);
    const NS = "http://www.w3.org/2000/svg";
    const mk = (tag, attrs) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };
    const rowH = 26, left = 140, width = 600, max = Math.max(1, ...entries.map(([, n]) => n));
    const svg = mk("svg", { viewBox: `0 0 ${width} ${entries.length * rowH + 8}`, role: "img", "aria-label": "theme distribution" });
    entries.forEach(([name, n], i) => {
      const y = i * rowH + 4, w = Math.max(2, ((width - left - 60) * n) / max);
      const label = mk("text", { x: left - 8, y: y + 16, "text-anchor": "end" }); label.textContent = name;
      const bar = mk("rect", { x: left, y, width: w, height: rowH - 8, rx: 3, fill: name === "Unrelated" ? "#b8bec8" : "#3056d3", "data-theme": name });
      const val = mk("text", { x: left + w + 6, y: y + 16 }); val.textContent = String(n);
      svg.append(label, bar, val);
    });
    return svg;
  }

  async function loadStats() {
    const s = await api(`/stats/${enc(keyword())}`);
    const rate = s.relevance_rate === null ? "—" : `${(100 * s.relevance_rate).toFixed(1)} %`;
    $("ac-stats").replaceChildren(
      el("div", {}, el("b", { id: "ac-stat-ads" }, String(s.ads)), "ads"),
      el("div", {}, el("b", { id: "ac-stat-classified" }, String(s.classified)), "classified"),
      el("div", {}, el("b", { id: "ac-stat-rate" }, rate), "relevant"),
      el("div", {}, el("b", {}, fmt(s.mean_confidence, 2)), "mean confidence"),
      el("div", {}, el("b", {}, String(s.labels)), "labels"),
    );
    $("ac-labels-count").textContent = `${s.labels} label(s) for ${s.keyword}`;
    $("ac-chart").replaceChildren(Object.keys(s.themes).length ? barChart(s.themes) : el("p", { class: "muted" }, "Nothing classified yet."));
    $("ac-versions").replaceChildren(s.by_version.length ? adlens.table(s.by_version, [
      { key: "backend", label: "backend" }, { key: "classifier_version", label: "version" },
      { key: "classified", label: "classified", num: true },
      { key: "relevance_rate", label: "relevant", num: true, format: (v) => (v === null ? "—" : `${(100 * v).toFixed(1)} %`) },
      { key: "mean_confidence", label: "confidence", num: true, format: (v) => fmt(v, 2) },
    ]) : "");
  }

  // --- results and review -----------------------------------------------------------------------
  function filters() {
    const p = new URLSearchParams({ keyword: keyword(), limit: "50" });
    if ($("ac-f-relevant").value) p.set("relevant", $("ac-f-relevant").value);
    if ($("ac-f-theme").value) p.set("theme", $("ac-f-theme").value);
    if ($("ac-f-minconf").value) p.set("min_confidence", $("ac-f-minconf").value);
    if ($("ac-f-maxconf").value) p.set("max_confidence", $("ac-f-maxconf").value);
    return p;
  }

  function reviewForm(row, cell) {
    const rel = el("select", { "aria-label": "relevant" }, el("option", { value: "true" }, "relevant"), el("option", { value: "false" }, "not relevant"));
    rel.value = String(row.label ? row.label.is_relevant : row.is_relevant);
    const theme = el("select", { "aria-label": "theme" }, themes.map((n) => el("option", { value: n }, n)));
    theme.value = (row.label && row.label.theme) || row.theme || themes[0];
    const out = el("span", { class: "muted" });
    const save = el("button", { class: "btn btn-primary ac-save", type: "button", onclick: async () => {
      const author = $("ac-author").value.trim();
      if (!author) { out.textContent = "enter your name as reviewer first"; return; }
      localStorage.setItem("adclass.author", author);
      try {
        const lab = await api(`/ads/${row.ad_id}/label`, { json: { keyword: keyword(), is_relevant: rel.value === "true", theme: theme.value, author } });
        cell.replaceChildren(labelChip(lab));
        loadStats().catch(() => {});
      } catch (e) { out.textContent = e.message; }
    } }, "Save");
    return el("div", { class: "ac-review" }, rel, theme, save, out);
  }

  function labelChip(lab) {
    return el("span", { class: "chip ac-label" }, `${lab.is_relevant ? "relevant" : "not relevant"} · ${lab.theme || "—"} (${lab.author})`);
  }

  function rowsTable(rows) {
    return adlens.table(rows, [
      { key: "ad_id", label: "ad", num: true },
      { key: "page_name", label: "page" },
      { key: "body_text", label: "text", format: (v, r) => el("div", { class: "ac-body" }, [r.title, v].filter(Boolean).join(" — ").slice(0, 400)) },
      { key: "is_relevant", label: "relevant", format: (v) => (v === null ? el("span", { class: "muted" }, "pending") : el("span", { class: v ? "ac-yes" : "ac-no" }, v ? "yes" : "no")) },
      { key: "theme", label: "theme", format: (v, r) => el("div", {}, v || "", ...(r.notes || []).map((n) => el("div", { class: "muted" }, n))) },
      { key: "confidence", label: "confidence", num: true, format: (v) => fmt(v, 2) },
      { key: "label", label: "review", format: (v, r) => {
        const cell = el("div", { class: "ac-review-cell", "data-ad": r.ad_id });
        if (v) cell.append(labelChip(v));
        if (r.is_relevant !== null) cell.append(el("button", { class: "btn ac-review-btn", type: "button", onclick: (e) => { e.target.replaceWith(reviewForm(r, cell)); } }, v ? "Change" : "Review"));
        return cell;
      } },
    ]);
  }

  async function loadTable(more) {
    const p = filters();
    if (more && cursor) p.set("cursor", String(cursor));
    const res = await api(`/ads?${p}`);
    cursor = res.next_cursor;
    const host = $("ac-table");
    if (!more) host.replaceChildren(rowsTable(res.ads));
    else host.querySelector("tbody").append(...rowsTable(res.ads).querySelectorAll("tbody tr"));
    $("ac-more").classList.toggle("ac-hidden", !cursor);
    $("ac-count").textContent = `${host.querySelectorAll("tbody tr").length} shown`;
  }

  // --- classification job -----------------------------------------------------------------------
  async function runClassification() {
    const btn = $("ac-run");
    btn.disabled = true;
    const bar = $("ac-progress"), fill = bar.querySelector("span");
    bar.classList.remove("ac-hidden"); fill.style.width = "0%";
    $("ac-status").textContent = "starting…";
    try {
      const job = await api("/classify", { json: { keyword: keyword(), backend: $("ac-backend").value, async: true } });
      sse(`/jobs/${job.id}/events`, (ev) => {
        if (ev && ev.type === "progress" && ev.data) {
          const { done, total, message } = ev.data;
          if (total) fill.style.width = `${Math.round((100 * done) / total)}%`;
          $("ac-status").textContent = message || `${done}/${total}`;
        }
      }, async () => {
        btn.disabled = false;
        const final = await api(`/jobs/${job.id}`);
        if (final.state === "done") {
          fill.style.width = "100%";
          const r = final.result;
          $("ac-status").textContent = `done: ${r.classified} classified, ${r.skipped} already done (${r.classifier_version})`;
        } else {
          showError($("ac-error"), new Error(final.error || `classification ${final.state}`));
          $("ac-status").textContent = final.state;
        }
        await refresh();
      });
    } catch (e) { btn.disabled = false; $("ac-status").textContent = ""; showError($("ac-error"), e); }
  }

  // --- import -----------------------------------------------------------------------------------
  async function runImport() {
    const out = $("ac-import-result");
    const file = $("ac-import-file").files[0];
    const kw = $("ac-import-keyword").value.trim() || keyword();
    if (!file || !kw) { showError(out, new Error("choose a file and a keyword")); return; }
    const form = new FormData();
    form.append("file", file); form.append("keyword", kw);
    if ($("ac-import-mapping").value.trim()) form.append("mapping", $("ac-import-mapping").value);
    $("ac-import-run").disabled = true;
    try {
      const r = await api("/ads/import", { form });
      out.replaceChildren(
        el("p", { class: "ok", id: "ac-import-summary" }, `${r.keyword}: ${r.imported} imported, ${r.updated} updated, ${r.unchanged} unchanged, ${r.rejected} rejected (${r.rows} rows)`),
        ...r.warnings.map((w) => el("p", { class: "muted" }, w)),
        r.rejected_rows.length ? el("div", { id: "ac-rejected" }, el("h3", {}, "Rejected rows"), adlens.table(r.rejected_rows, ["row", "external_id", "reason"])) : "",
      );
      await loadKeywords(r.keyword);
    } catch (e) { showError(out, e); } finally { $("ac-import-run").disabled = false; }
  }

  async function runRetrain() {
    const out = $("ac-retrain-result");
    $("ac-retrain").disabled = true;
    out.replaceChildren(el("span", { class: "muted" }, "training…"));
    try {
      const r = await api("/adclass/retrain", { json: {} });
      const m = r.metrics;
      out.replaceChildren(el("div", { id: "ac-retrain-metrics" },
        el("p", { class: "ok" }, `Trained on ${r.labels_used} labels: new model ${m.version}`),
        m.dev_accuracy !== undefined ? el("p", {}, `Held-out accuracy ${fmt(m.dev_accuracy, 3)} (zero-shot prototypes ${fmt(m.dev_accuracy_prototypes, 3)})`) : el("p", { class: "muted" }, "Too few labels for a held-out accuracy (20 needed)."),
      ));
    } catch (e) { showError(out, e); } finally { $("ac-retrain").disabled = false; }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("ac-author").value = localStorage.getItem("adclass.author") || "";
    $("ac-keyword").addEventListener("change", () => refresh().catch((e) => showError($("ac-error"), e)));
    $("ac-apply").addEventListener("click", () => loadTable(false).catch((e) => showError($("ac-error"), e)));
    $("ac-more").addEventListener("click", () => loadTable(true).catch((e) => showError($("ac-error"), e)));
    $("ac-run").addEventListener("click", runClassification);
    $("ac-import-run").addEventListener("click", runImport);
    $("ac-retrain").addEventListener("click", runRetrain);
    try { await loadThemes(); await loadKeywords(); } catch (e) { showError($("ac-error"), e); }
  });
})();
