/* Contextual targeting page: analyse a URL (as a one-URL batch job, so every step shows live over SSE),
   category tree with confidence bars, evidence, brand safety, OpenRTB/Prebid export, batch runs. */
(function () {
  "use strict";
  const { api, sse, el, showError } = window.adlens;
  const $ = (id) => document.getElementById(id);
  let current = null;

  function validUrl(value) {
    let u;
    try { u = new URL(value.trim()); } catch (_) { return "Enter a full address starting with http:// or https://"; }
    if (u.protocol !== "http:" && u.protocol !== "https:") return "Only http:// and https:// pages can be analysed";
    if (!u.hostname) return "The address has no host name";
    return null;
  }

  // Demo pages are analysed under their canonical address; show their images from this server.
  function displaySrc(url) {
    try {
      const u = new URL(url);
      if (["127.0.0.1", "localhost"].includes(u.hostname) && u.pathname.startsWith("/api/v1/contextual/demo-pages/")) return location.origin + u.pathname;
    } catch (_) { /* keep it */ }
    return url;
  }

  function pct(x) { return `${Math.round((x || 0) * 100)}%`; }

  // --- progress ------------------------------------------------------------------------------
  function resetProgress() {
    $("cx-progress-card").classList.remove("cx-hidden");
    $("cx-steps").replaceChildren();
    $("cx-progress-bar").style.width = "5%";
  }

  function addStep(message) {
    if (!message) return;
    const text = message.replace(/: https?:\/\/\S+$/, "");
    const steps = $("cx-steps");
    const last = steps.lastElementChild;
    if (last && last.dataset.text === text) return;
    if (last) last.classList.remove("cx-current");
    const li = el("li", { class: "cx-current" }, text);
    li.dataset.text = text;
    steps.append(li);
    const order = ["analysing", "fetching", "detecting", "analysing up to", "scoring", "done"];
    const i = order.findIndex((o) => text.startsWith(o));
    if (i >= 0) $("cx-progress-bar").style.width = `${Math.max(10, ((i + 1) / order.length) * 100)}%`;
  }

  function followJob(jobId, onProgress) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = async () => {
        if (settled) return;
        settled = true;
        try { resolve(await api(`/jobs/${jobId}`)); } catch (err) { reject(err); }
      };
      sse(`/jobs/${jobId}/events`, (ev) => {
        if (ev && ev.type === "progress" && ev.data) onProgress(ev.data);
      }, finish);
      // Backstop if the event stream is interrupted (proxies, API keys in query strings…).
      const poll = setInterval(async () => {
        if (settled) { clearInterval(poll); return; }
        try {
          const job = await api(`/jobs/${jobId}`);
          if (["done", "failed", "cancelled"].includes(job.state)) { clearInterval(poll); finish(); }
        } catch (_) { /* keep trying */ }
      }, 2000);
    });
  }

  // --- single analysis -------------------------------------------------------------------------
  async function analyse(event) {
    if (event) event.preventDefault();
    const url = $("cx-url").value.trim();
    const problem = validUrl(url);
    const urlError = $("cx-url-error");
    if (problem) {
      urlError.textContent = problem; urlError.classList.remove("cx-hidden");
      $("cx-url").setAttribute("aria-invalid", "true");
      return;
    }
    urlError.classList.add("cx-hidden"); $("cx-url").removeAttribute("aria-invalid");
    $("cx-error").replaceChildren(); $("cx-result").classList.add("cx-hidden");
    $("cx-run").disabled = true;
    resetProgress();
    try {
      const body = {
        urls: [url], concurrency: 1, render: $("cx-render").checked,
        taxonomy: $("cx-taxonomy").value, top_k: Number($("cx-topk").value) || 10,
      };
      const { job } = await api("/analyze/batch", { json: body });
      addStep("queued");
      const done = await followJob(job.id, (p) => addStep(p.message));
      if (done.state !== "done") throw new Error(done.error || `analysis ${done.state}`);
      const item = done.result.items[0];
      if (item.status !== "ok") throw new Error(item.error || "the analysis failed");
      addStep("done"); $("cx-progress-bar").style.width = "100%";
      const last = $("cx-steps").lastElementChild; if (last) last.classList.remove("cx-current");
      render(item.result);
    } catch (err) {
      showError($("cx-error"), err);
    } finally {
      $("cx-run").disabled = false;
    }
  }

  // --- rendering -------------------------------------------------------------------------------
  function buildTree(categories) {
    const root = { children: new Map() };
    for (const cat of categories) {
      let node = root;
      cat.path.forEach((name, depth) => {
        if (!node.children.has(name)) node.children.set(name, { name, cat: null, children: new Map(), depth });
        node = node.children.get(name);
      });
      node.cat = cat;
    }
    return root;
  }

  function bestConfidence(node) {
    let best = node.cat ? node.cat.confidence : 0;
    for (const child of node.children.values()) best = Math.max(best, bestConfidence(child));
    return best;
  }

  function renderNode(node, imagesByUrl) {
    const cat = node.cat;
    const label = el("div", {},
      el("b", {}, node.name),
      cat ? el("small", { class: "muted" }, `IAB ${cat.id} · tier ${cat.tier}`) : el("small", { class: "muted" }, "(parent)"));
    const bar = el("div", { class: "bar", title: cat ? `confidence ${pct(cat.confidence)}` : "" },
      el("span", { style: `width:${cat ? pct(cat.confidence) : "0%"}` }));
    const evidence = [];
    if (cat && cat.evidence) {
      const phrases = (cat.evidence.phrases || []).slice(0, 6);
      if (phrases.length) evidence.push(el("div", { class: "cx-evidence muted" }, "phrases: ", phrases.map((p) => el("span", { class: "chip" }, p))));
      const imgs = (cat.evidence.images || []).filter((u) => imagesByUrl.has(u));
      if (imgs.length) evidence.push(el("div", { class: "cx-evidence muted" }, `images: ${imgs.length}`));
    }
    const row = el("div", { class: "cx-cat", "data-category": cat ? cat.id : "" },
      label, el("div", {}, bar, evidence), el("span", { class: "num" }, cat ? pct(cat.confidence) : ""));
    const kids = [...node.children.values()].sort((a, b) => bestConfidence(b) - bestConfidence(a));
    return el("li", {}, row, kids.length ? el("ul", {}, kids.map((k) => renderNode(k, imagesByUrl))) : null);
  }

  function render(result) {
    current = result;
    const doc = result.document;
    $("cx-result").classList.remove("cx-hidden");
    $("cx-title").textContent = doc.title || result.final_url;
    $("cx-meta").replaceChildren(
      el("a", { href: result.final_url, target: "_blank", rel: "noopener noreferrer" }, result.final_url),
      ` · language ${doc.language || "?"} · ${doc.text_chars.toLocaleString()} characters${doc.truncated ? " (capped)" : ""}`,
      ` · ${doc.images.length} image(s) · ${doc.rendered ? "rendered" : "static"} · taxonomy ${result.taxonomy}`,
      result.cached ? " · cached" : ` · ${Math.round(result.timings.total_ms)} ms`,
      result.low_confidence ? el("span", { class: "badge warn", style: "margin-left:8px" }, "low confidence") : null);
    $("cx-notes").replaceChildren(...(result.notes || []).map((n) => el("li", {}, n)));
    const imagesByUrl = new Map(doc.images.map((i) => [i.url, i]));
    const tree = buildTree(result.categories);
    const tops = [...tree.children.values()].sort((a, b) => bestConfidence(b) - bestConfidence(a));
    $("cx-tree").replaceChildren(...tops.map((n) => renderNode(n, imagesByUrl)));
    $("cx-keywords").replaceChildren(...(result.keywords || []).map((k) => el("span", { class: "chip", style: "margin:2px" }, k)));
    $("cx-images").replaceChildren(...doc.images.map((img) => el("figure", {},
      el("img", { src: displaySrc(img.url), alt: img.alt || "", loading: "lazy", referrerpolicy: "no-referrer" }),
      el("figcaption", { class: "muted" }, (img.concepts || []).slice(0, 3).join(", ") || img.alt))));
    if (!doc.images.length) $("cx-images").replaceChildren(el("span", { class: "muted" }, "no content images were used"));
    const safety = result.brand_safety || { risk_level: "none", flags: [] };
    const risk = $("cx-risk");
    risk.textContent = safety.risk_level; risk.className = `cx-risk-${safety.risk_level}`;
    const flags = (safety.flags || []).filter((f) => f.risk && f.risk !== "none");
    $("cx-flags").replaceChildren(flags.length
      ? window.adlens.table(flags, [
          { key: "category", label: "flag" },
          { key: "risk", label: "risk", format: (v) => el("span", { class: `cx-risk-${v}` }, v) },
          { key: "score", label: "score", num: true, format: (v) => window.adlens.fmt(v, 2) },
          { key: "evidence", label: "evidence", format: (v) => (v || []).slice(0, 4).join(", ") },
        ])
      : el("p", { class: "ok" }, "No brand-safety flags."));
    renderExport();
  }

  function exportText() {
    if (!current) return "";
    const kind = document.querySelector('input[name="cx-fmt"]:checked').value;
    if (kind === "prebid") return `pbjs.que.push(function () {\n  pbjs.setConfig(${JSON.stringify(current.prebid, null, 2)});\n});`;
    if (kind === "full") return JSON.stringify(current, null, 2);
    return JSON.stringify(current.openrtb, null, 2);
  }

  function renderExport() {
    $("cx-json").textContent = exportText();
    const segtax = current.segtax;
    $("cx-segtax").textContent = current.taxonomy === "iab-3.1"
      ? "IAB Content 3.1: sent as segtax 7 with the IDs mapped to 3.0 (understood by every exchange) and as segtax 9 (the AdCOM value of 3.1)."
      : (segtax ? `segtax ${segtax}` : "This taxonomy has no registered segtax: the segment IDs are adlens-proprietary.");
  }

  async function copy() {
    const text = exportText();
    try { await navigator.clipboard.writeText(text); $("cx-copied").textContent = "copied"; }
    catch (_) {
      const range = document.createRange(); range.selectNodeContents($("cx-json"));
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
      $("cx-copied").textContent = "selected: press Ctrl+C";
    }
    setTimeout(() => { $("cx-copied").textContent = ""; }, 2500);
  }

  function download() {
    if (!current) return;
    const kind = document.querySelector('input[name="cx-fmt"]:checked').value;
    const data = kind === "prebid" ? current.prebid : kind === "full" ? current : current.openrtb;
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const a = el("a", { href: URL.createObjectURL(blob), download: `adlens-${kind}.json` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  // --- batch -----------------------------------------------------------------------------------
  async function runBatch() {
    const urls = $("cx-batch-urls").value.split(/\s+/).map((u) => u.trim()).filter(Boolean);
    const errBox = $("cx-batch-error");
    errBox.replaceChildren();
    if (!urls.length) { showError(errBox, "Enter at least one URL"); return; }
    $("cx-batch-run").disabled = true;
    const bar = $("cx-batch-progress");
    bar.classList.remove("cx-hidden"); bar.firstElementChild.style.width = "0%";
    try {
      const { job } = await api("/analyze/batch", { json: {
        urls, concurrency: Number($("cx-concurrency").value) || 4, taxonomy: $("cx-taxonomy").value } });
      const done = await followJob(job.id, (p) => {
        if (p.total) bar.firstElementChild.style.width = `${Math.round((100 * (p.done || 0)) / p.total)}%`;
        $("cx-batch-status").textContent = `${p.done || 0}/${p.total || urls.length} · ${p.message || ""}`;
      });
      if (done.state !== "done") throw new Error(done.error || `batch ${done.state}`);
      bar.firstElementChild.style.width = "100%";
      $("cx-batch-status").textContent = `${done.result.ok} analysed, ${done.result.failed} failed`;
      $("cx-batch-items").replaceChildren(window.adlens.table(done.result.items, [
        { key: "status", label: "status", format: (v) => el("span", { class: v === "ok" ? "ok" : "bad" }, v) },
        { key: "url", label: "URL" },
        { key: "top_category", label: "top category" },
        { key: "confidence", label: "confidence / error", format: (v, r) => (r.status === "ok" ? pct(v) : r.error) },
      ]));
    } catch (err) {
      showError(errBox, err);
    } finally {
      $("cx-batch-run").disabled = false;
    }
  }

  // --- setup -----------------------------------------------------------------------------------
  async function init() {
    $("cx-form").addEventListener("submit", analyse);
    $("cx-url").addEventListener("input", () => { $("cx-url-error").classList.add("cx-hidden"); });
    document.querySelectorAll('input[name="cx-fmt"]').forEach((r) => r.addEventListener("change", () => current && renderExport()));
    $("cx-copy").addEventListener("click", copy);
    $("cx-download").addEventListener("click", download);
    $("cx-batch-run").addEventListener("click", runBatch);
    try {
      const taxonomies = await api("/taxonomies");
      const list = Array.isArray(taxonomies) ? taxonomies : taxonomies.taxonomies || [];
      const select = $("cx-taxonomy");
      const usable = list.filter((t) => t.available !== false);
      if (usable.length) {
        select.replaceChildren(...usable.map((t) => el("option", { value: t.version, selected: t.default || null }, t.name || t.version)));
      }
    } catch (_) { /* keep the default option */ }
    try {
      const { pages } = await api("/contextual/demo-pages");
      $("cx-demo-links").replaceChildren(...pages.map((p, i) => [i ? " · " : "", el("a", {
        href: "#", "data-demo": p.name,
        onclick: (e) => { e.preventDefault(); $("cx-url").value = p.url || location.origin + p.path; analyse(); },
      }, p.title)]).flat());
    } catch (_) { $("cx-demo").classList.add("cx-hidden"); }
    const fromQuery = new URLSearchParams(location.search).get("url");
    if (fromQuery) { $("cx-url").value = fromQuery; analyse(); }
  }

  init();
})();
