/* Creators page: search (text, photo by drag and drop, filters), result cards, import with the rejected-rows report. */
(function () {
  "use strict";
  const { api, el, showError, table } = window.adlens;
  const $ = (id) => document.getElementById(id);
  let imageFile = null;
  let lastRequest = null;
  let nextCursor = null;

  function num(v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString(); }
  function pct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(2) + "%"; }
  function list(v) { return v.split(",").map((s) => s.trim()).filter(Boolean); }

  function filters() {
    const f = {};
    const n = (id) => ($(id).value === "" ? null : Number($(id).value));
    if (n("cr-min-f") !== null) f.min_followers = n("cr-min-f");
    if (n("cr-max-f") !== null) f.max_followers = n("cr-max-f");
    if (n("cr-min-e") !== null) f.min_engagement = n("cr-min-e") / 100;
    if (n("cr-max-e") !== null) f.max_engagement = n("cr-max-e") / 100;
    for (const key of ["category", "country", "language"]) { const v = list($("cr-" + key).value); if (v.length) f[key] = v; }
    if ($("cr-platform").value) f.platform = [$("cr-platform").value];
    if ($("cr-location").value.trim()) f.location = $("cr-location").value.trim();
    return f;
  }

  function setImage(file) {
    imageFile = file;
    const prev = $("cr-drop-preview");
    if (file) {
      prev.src = URL.createObjectURL(file); prev.classList.remove("cr-hidden");
      $("cr-drop-text").textContent = file.name; $("cr-clear-image").classList.remove("cr-hidden");
    } else {
      prev.classList.add("cr-hidden"); prev.removeAttribute("src");
      $("cr-drop-text").textContent = "Drop a photo here or click"; $("cr-clear-image").classList.add("cr-hidden");
      $("cr-image").value = "";
    }
  }

  function qualityLine(q) {
    if (!q) return el("div", { class: "cr-quality muted" }, "Audience quality: not enough data");
    const cls = q.score < 10 || q.label.startsWith("unusually") ? "bad" : q.score < 30 ? "warn" : "ok";
    return el("div", { class: "cr-quality", title: q.method + " (z = " + q.z + ", band " + q.band + ")" },
      "Audience quality: ", el("span", { class: "badge " + cls }, Math.round(q.score) + "/100"), " ", q.label,
      q.flags && q.flags.length ? el("div", { class: "warn" }, "⚑ " + q.flags.join("; ")) : null);
  }

  function card(r) {
    const photo = r.photo ? el("img", { class: "cr-photo", src: r.photo, alt: "photo of " + r.handle, loading: "lazy" })
      : el("div", { class: "cr-nophoto", "aria-hidden": "true" }, (r.name || r.handle || "?").slice(0, 1).toUpperCase());
    const similar = r.photo_ids && r.photo_ids.length
      ? el("button", { class: "btn", style: "padding:2px 8px;font-size:.8rem", onclick: () => run({ image_id: r.best_photo_id || r.photo_ids[0], mode: "image" }) }, "Similar photos")
      : null;
    return el("article", { class: "card cr-card", "data-id": r.id },
      photo,
      el("div", { style: "min-width:0" },
        el("div", {}, el("b", {}, r.name || r.handle), " ", el("span", { class: "muted" }, "@" + r.handle + " · " + r.platform)),
        el("div", { class: "cr-metrics" },
          el("span", {}, el("b", {}, num(r.followers)), " followers"),
          el("span", {}, el("b", {}, pct(r.engagement_rate)), " engagement"),
          r.avg_likes ? el("span", {}, el("b", {}, num(r.avg_likes)), " avg likes") : null),
        el("div", { class: "muted", style: "font-size:.85rem" }, [r.category, r.location || r.country, r.language].filter(Boolean).join(" · ")),
        r.bio ? el("div", { style: "font-size:.9rem;margin-top:4px" }, r.bio.length > 160 ? r.bio.slice(0, 160) + "…" : r.bio) : null,
        qualityLine(r.audience_quality),
        el("ul", { class: "cr-reasons" }, (r.reasons || []).map((why) => el("li", {}, why))),
        el("div", { class: "muted", style: "font-size:.8rem" }, "score " + r.score.toFixed(3) + " ", similar)));
  }

  function chips(res) {
    const out = [];
    for (const [k, v] of Object.entries(res.filters || {})) out.push(el("span", { class: "chip" }, k + ": " + (Array.isArray(v) ? v.join(", ") : v)));
    if (res.semantic) out.push(el("span", { class: "chip" }, "about: " + res.semantic));
    if (res.image_concepts) out.push(el("span", { class: "chip" }, "photo: " + res.image_concepts));
    for (const note of res.notes || []) out.push(el("span", { class: "muted" }, note));
    $("cr-chips").replaceChildren(...out);
  }

  async function run(override, append) {
    $("cr-error").replaceChildren();
    const req = append ? { ...lastRequest, cursor: nextCursor } : {
      query: $("cr-query").value, filters: filters(), k: 12, mode: $("cr-mode").value, ...(override || {}),
    };
    $("cr-go").disabled = true; $("cr-status").textContent = "Searching…";
    try {
      let res;
      if (imageFile && !req.image_id && req.mode !== "text" && req.mode !== "text_image") {
        const form = new FormData();
        form.append("image", imageFile);
        for (const [k, v] of Object.entries(req)) if (v !== null && v !== undefined) form.append(k, typeof v === "object" ? JSON.stringify(v) : String(v));
        res = await api("/creators/search", { form });
      } else {
        res = await api("/creators/search", { json: req });
      }
      lastRequest = { ...req, image_id: req.image_id || res.image_id || undefined, cursor: undefined };
      nextCursor = res.next_cursor;
      if (!append) $("cr-results").replaceChildren();
      $("cr-results").append(...res.results.map(card));
      $("cr-status").textContent = res.matches.toLocaleString() + " creators match the filters · " + res.took_ms + " ms · mode " + res.mode +
        " (weights " + Object.entries(res.weights).map(([k, w]) => k + " " + w).join(", ") + ")";
      if (!res.results.length && !append) $("cr-results").append(el("p", { class: "muted" }, "No creator matches these filters."));
      chips(res);
      $("cr-more").classList.toggle("cr-hidden", !nextCursor);
    } catch (err) {
      showError($("cr-error"), err); $("cr-status").textContent = "";
    } finally {
      $("cr-go").disabled = false;
    }
  }

  function reportView(r) {
    const parts = [el("p", { class: "ok", id: "cr-import-summary" },
      `Imported ${r.imported}, updated ${r.updated}, rejected ${r.rejected} of ${r.rows} rows` + (r.photos ? `; ${r.photos} photos` : "") +
      (r.encoding ? ` (encoding ${r.encoding})` : ""))];
    if (r.rejected_rows.length) {
      parts.push(el("h3", {}, "Rejected rows"));
      parts.push(table(r.rejected_rows.map((x) => ({ row: x.row, handle: x.handle || "", reasons: x.reasons.join("; ") })), ["row", "handle", "reasons"]));
    }
    if (r.photo_errors.length) {
      parts.push(el("h3", {}, "Photos that could not be used (rows kept)"));
      parts.push(table(r.photo_errors.map((x) => ({ row: x.row, handle: x.handle, source: x.source, reason: x.reason })), ["row", "handle", "source", "reason"]));
    }
    parts.push(el("details", {}, el("summary", {}, "Column mapping used"), el("pre", {}, JSON.stringify(r.mapping, null, 2))));
    return el("div", { id: "cr-report" }, parts);
  }

  async function doImport() {
    const file = $("cr-file").files[0];
    if (!file) return;
    $("cr-import-error").replaceChildren(); $("cr-import-result").replaceChildren();
    $("cr-import-go").disabled = true; $("cr-import-status").textContent = "Importing… (embedding bios and photos)";
    const form = new FormData();
    form.append("file", file);
    form.append("platform", $("cr-import-platform").value || "instagram");
    if ($("cr-mapping").value.trim()) form.append("mapping", $("cr-mapping").value);
    try {
      const r = await api("/creators/upload", { form });
      $("cr-import-result").replaceChildren(reportView(r));
      $("cr-import-status").textContent = "Done in " + r.seconds + " s";
    } catch (err) {
      showError($("cr-import-error"), err); $("cr-import-status").textContent = "Nothing was changed.";
    } finally {
      $("cr-import-go").disabled = false;
    }
  }

  function tabs() {
    for (const b of document.querySelectorAll(".cr-tabs .btn")) {
      b.addEventListener("click", () => {
        for (const o of document.querySelectorAll(".cr-tabs .btn")) o.setAttribute("aria-selected", String(o === b));
        $("cr-search-panel").classList.toggle("cr-hidden", b.dataset.tab !== "search");
        $("cr-import-panel").classList.toggle("cr-hidden", b.dataset.tab !== "import");
      });
    }
  }

  function dragDrop() {
    const drop = $("cr-drop");
    for (const t of ["dragenter", "dragover"]) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("cr-over"); });
    for (const t of ["dragleave", "drop"]) drop.addEventListener(t, () => drop.classList.remove("cr-over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (f) { setImage(f); run(); }
    });
    $("cr-image").addEventListener("change", () => { if ($("cr-image").files[0]) setImage($("cr-image").files[0]); });
    $("cr-clear-image").addEventListener("click", () => setImage(null));
  }

  document.addEventListener("DOMContentLoaded", () => {
    tabs(); dragDrop();
    $("cr-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
    $("cr-more").addEventListener("click", () => run(null, true));
    $("cr-file").addEventListener("change", () => { $("cr-import-go").disabled = !$("cr-file").files[0]; });
    $("cr-import-go").addEventListener("click", doImport);
  });
})();
