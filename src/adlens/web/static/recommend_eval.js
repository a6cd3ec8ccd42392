/* Recommend page: the stored evaluation table and an inline SVG chart of nDCG@10 per model and protocol. */
(function () {
  "use strict";
  const { api, el, fmt } = window.adlens;
  const SVG = "http://www.w3.org/2000/svg";
  const COLUMNS = [["nDCG@10", "ndcg@10"], ["HR@10", "hit@10"], ["HR@20", "hit@20"], ["MRR@10", "mrr@10"],
    ["P@10", "precision@10"], ["R@10", "recall@10"], ["MAP", "map"], ["Cov@10", "coverage@10"]];
  const TITLES = { msr: "Microsoft Recommenders protocol (item-stratified, as published)", msr_user: "Microsoft split stratified per user", recbole: "RecBole protocol" };

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* One panel per protocol; our models in blue, published numbers in grey with a dashed outline. */
  function chart(doc) {
    const panels = Object.entries(doc.protocols);
    const bars = panels.map(([, p]) => p.rows.map((r) => ({ label: r.model, value: r["ndcg@10"], published: false }))
      .concat(Object.entries(p.published || {}).filter(([, v]) => v["ndcg@10"] !== undefined)
        .map(([name, v]) => ({ label: `${name} (published)`, value: v["ndcg@10"], published: true }))));
    const barH = 18, gap = 6, labelW = 190, plotW = 360, titleH = 26, panelGap = 18;
    const height = bars.reduce((h, b) => h + titleH + b.length * (barH + gap) + panelGap, 10);
    const max = Math.max(0.05, ...bars.flat().map((b) => b.value || 0)) * 1.15;
    const root = svg("svg", { viewBox: `0 0 ${labelW + plotW + 70} ${height}`, role: "img", "aria-label": "nDCG@10 per model and protocol", id: "rc-chart-svg" });
    let y = 10;
    panels.forEach(([protocol], i) => {
      root.append(svg("text", { x: 0, y: y + 16, "font-size": 14, "font-weight": 600 }, `${TITLES[protocol] || protocol}: nDCG@10`));
      y += titleH;
      for (const b of bars[i]) {
        const w = Math.max(1, (plotW * (b.value || 0)) / max);
        root.append(svg("text", { x: labelW - 8, y: y + barH - 5, "font-size": 12, "text-anchor": "end", fill: b.published ? "#667085" : "#1c2430" }, b.label));
        const rect = svg("rect", { x: labelW, y, width: w, height: barH, rx: 3, fill: b.published ? "#d0d5dd" : "#3056d3",
          "data-model": b.label, "data-protocol": protocol, class: b.published ? "bar-published" : "bar-ours" });
        if (b.published) { rect.setAttribute("stroke", "#667085"); rect.setAttribute("stroke-dasharray", "4 2"); }
        root.append(rect, svg("text", { x: labelW + w + 6, y: y + barH - 5, "font-size": 12 }, fmt(b.value, 4)));
        y += barH + gap;
      }
      y += panelGap;
    });
    return root;
  }

  function tables(doc) {
    return Object.entries(doc.protocols).map(([protocol, p]) => {
      const head = el("tr", {}, el("th", {}, "model"), COLUMNS.map(([label]) => el("th", {}, label)));
      const rows = p.rows.map((r) => el("tr", {}, el("td", {}, r.model), COLUMNS.map(([, key]) => el("td", {}, r[key] === undefined ? "" : fmt(r[key], 4)))));
      const pub = Object.entries(p.published || {}).map(([name, v]) => el("tr", { class: "published" },
        el("td", {}, `published ${name}`), COLUMNS.map(([, key]) => el("td", {}, v[key] === undefined ? "" : fmt(v[key], 4)))));
      return [el("h3", {}, TITLES[protocol] || protocol),
        el("table", { class: "rc-eval", "data-protocol": protocol }, el("thead", {}, head), el("tbody", {}, rows, pub))];
    });
  }

  async function load() {
    const box = document.getElementById("rc-eval");
    try {
      const doc = await api("/recommend/eval");
      document.getElementById("rc-eval-source").textContent =
        `Data set: ${doc.dataset || "?"} · ${doc.source || ""}. Published numbers (grey) come from the libraries' own reports on the same protocol.`;
      document.getElementById("rc-chart").replaceChildren(chart(doc));
      box.replaceChildren(...tables(doc).flat());
    } catch (err) {
      box.replaceChildren(el("p", { class: "muted" }, err.status === 404 ? err.message : `evaluation unavailable: ${err.message}`));
    }
  }

  document.addEventListener("DOMContentLoaded", load);
})();
