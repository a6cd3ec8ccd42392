/* Recommend page: pick a user, see history, recommendations with reasons, similar items on click. */
(function () {
  "use strict";
  const { api, el, showError } = window.adlens;
  const $ = (id) => document.getElementById(id);

  function meta(it) {
    const parts = [];
    if (it.genres && it.genres.length) parts.push(it.genres.join(", "));
    if (it.year) parts.push(String(it.year));
    if (it.cold_start) parts.push("new item");
    return el("div", { class: "rc-meta" }, parts.join(" · "));
  }

  function itemButton(it) {
    return el("button", { class: "rc-item", type: "button", "data-item": it.item_id, onclick: () => showSimilar(it) },
      it.title || it.item_id);
  }

  function renderModel(models) {
    const box = $("rc-model");
    if (!models.models.length) {
      box.replaceChildren(el("span", {}, "No trained model yet. "),
        el("button", { class: "btn btn-primary", id: "rc-train", onclick: trainDemo }, "Train one on generated data"));
      return null;
    }
    const m = models.models[models.models.length - 1];
    const met = m.metrics || {};
    box.replaceChildren(el("div", {},
      el("span", { class: "chip", id: "rc-model-name" }, m.name), " ",
      `${m.dataset || "?"} · ${m.n_users} users · ${m.n_items} items · ${m.n_interactions} interactions · `,
      `validation nDCG@10 ${window.adlens.fmt(met["valid_ndcg@10"])}, HR@10 ${window.adlens.fmt(met["valid_hit@10"])}`,
      m.indexed ? "" : el("span", { class: "warn" }, " (not indexed yet)")));
    const genre = $("rc-genre");
    genre.replaceChildren(el("option", { value: "" }, "any"), ...(m.genres || []).map((g) => el("option", { value: g }, g)));
    return m;
  }

  async function trainDemo() {
    const box = $("rc-train-box");
    box.replaceChildren(el("div", { class: "progress" }, el("span", { style: "width:0%" })), el("div", { class: "muted", id: "rc-train-msg" }, "queued"));
    try {
      const job = await api("/recommend/train", { json: {} });
      window.adlens.sse(`/jobs/${job.id}/events`, (ev) => {
        const d = ev && ev.data ? ev.data : {};
        if (d.done !== undefined && d.total) box.querySelector(".progress span").style.width = `${(100 * d.done) / d.total}%`;
        if (d.message) $("rc-train-msg").textContent = d.message;
      }, async () => { box.replaceChildren(); await start(); });
    } catch (err) { showError(box, err); }
  }

  function renderHistory(doc) {
    $("rc-history-count").textContent = `(${doc.n_interactions}, latest first)`;
    $("rc-history").replaceChildren(...doc.items.map((it) => el("li", {}, itemButton(it), meta(it))));
  }

  function renderRecs(doc) {
    const labels = { user_tower: "from the user tower over this user's history", context: "cold start: from the context items", popularity: "cold start: most popular items" };
    $("rc-strategy").textContent = `Model ${doc.model} · ${labels[doc.strategy] || doc.strategy}${doc.note ? " — " + doc.note : ""}`;
    $("rc-strategy").dataset.strategy = doc.strategy;
    $("rc-recs").replaceChildren(...doc.items.map((it) => el("li", { "data-item": it.item_id },
      el("span", { class: "rc-score", title: "cosine similarity (popularity: interactions)" }, window.adlens.fmt(it.score)),
      itemButton(it), meta(it),
      it.because && it.because.length
        ? el("div", { class: "rc-why" }, "because you liked ",
            it.because.flatMap((b, i) => [i ? " and " : "", el("b", { title: `similarity ${b.similarity}` }, b.title || b.item_id)]))
        : null)));
  }

  async function showSimilar(it) {
    const card = $("rc-similar-card");
    card.hidden = false;
    $("rc-similar-title").textContent = `Similar to “${it.title || it.item_id}”`;
    try {
      const doc = await api("/recommend/similar", { json: { item_id: it.item_id, k: 8 } });
      $("rc-similar").replaceChildren(...doc.items.map((s) => el("li", {},
        el("span", { class: "rc-score" }, window.adlens.fmt(s.score)), itemButton(s), meta(s))));
      card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    } catch (err) { showError($("rc-similar"), err); }
  }

  async function run() {
    const user = $("rc-user").value;
    const filters = {};
    if ($("rc-genre").value) filters.genres = { $contains: $("rc-genre").value };
    if ($("rc-year").value) filters.year = { $gte: Number($("rc-year").value) };
    $("rc-error").replaceChildren();
    $("rc-run").disabled = true;
    try {
      const [hist, recs] = await Promise.all([
        api(`/recommend/users/${encodeURIComponent(user)}?limit=30`),
        api("/recommend", { json: { user_id: user, k: Number($("rc-k").value), exclude_seen: !$("rc-seen").checked, filters: Object.keys(filters).length ? filters : null } }),
      ]);
      renderHistory(hist);
      renderRecs(recs);
    } catch (err) { showError($("rc-error"), err); }
    finally { $("rc-run").disabled = false; }
  }

  async function start() {
    try {
      const model = renderModel(await api("/recommend/models"));
      if (!model) return;
      const users = await api("/recommend/users?limit=200");
      $("rc-user").replaceChildren(...users.users.map((u) => el("option", { value: u.user_id }, `${u.user_id} (${u.n_interactions} items)`)));
      if (users.users.length) await run();
    } catch (err) { showError($("rc-error"), err); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("rc-run").addEventListener("click", run);
    $("rc-user").addEventListener("change", run);
    start();
  });
})();
