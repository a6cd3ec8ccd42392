/* Analytics page: A/B test from per-user rows, and one-click demo data for both forms. */
(function () {
  "use strict";
  const { api, el, showError, table, fmt } = window.adlens;
  const $ = (id) => document.getElementById(id);
  const pct = (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + " %");

  function options(select, values, chosen, blank) {
    select.replaceChildren(...(blank ? [el("option", { value: "" }, blank)] : []),
      ...values.map((v) => el("option", { value: v, selected: v === chosen }, v)));
  }

  async function sniffArms(file, column) {
    if (!/\.(csv|tsv|txt)$/i.test(file.name)) return [];
    const text = await file.slice(0, 2 * 1024 * 1024).text();
    const lines = text.split(/\r?\n/).filter(Boolean);
    const sep = [",", ";", "\t"].sort((a, b) => lines[0].split(b).length - lines[0].split(a).length)[0];
    const header = lines[0].split(sep).map((h) => h.replace(/^"|"$/g, ""));
    const idx = header.indexOf(column);
    if (idx < 0) return [];
    const arms = new Set(lines.slice(1).map((l) => (l.split(sep)[idx] || "").replace(/^"|"$/g, "")).filter(Boolean));
    return [...arms].sort().slice(0, 20);
  }

  async function onFile() {
    const file = $("ab-file").files[0];
    $("ab-file-error").replaceChildren();
    $("ab-file-run").disabled = true;
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      const info = await api("/analytics/inspect", { method: "POST", form });
      const cols = info.columns;
      const armGuess = cols.find((c) => /^(arm|variant|group|bucket|treatment)$/i.test(c)) || cols[0];
      options($("ab-arm"), cols, armGuess);
      options($("ab-covariate"), cols, cols.find((c) => /^pre/i.test(c)) || "", "(none)");
      const metrics = cols.filter((c) => c !== armGuess && !/(^id$|_id$|^user|^pre)/i.test(c));
      $("ab-metrics").replaceChildren(...cols.filter((c) => c !== armGuess).map((c) => el("label", {},
        el("input", { type: "checkbox", value: c, checked: metrics.includes(c) }), " " + c)));
      await onArm();
      $("ab-file-run").disabled = false;
    } catch (err) { showError($("ab-file-error"), err); }
  }

  async function onArm() {
    const file = $("ab-file").files[0];
    const arms = file ? await sniffArms(file, $("ab-arm").value) : [];
    const control = arms.find((a) => /^(a|control|ctrl|baseline)$/i.test(a)) || arms[0];
    options($("ab-control"), arms, control, arms.length ? null : "(auto)");
  }

  function render(res) {
    const rows = res.comparisons.map((c) => ({
      metric: c.metric, treatment: c.treatment.name, control: fmt(c.control.estimate, 4),
      variant: fmt(c.treatment.estimate, 4), lift: pct(c.rel_lift),
      ci: `${pct(c.rel_ci.low)} to ${pct(c.rel_ci.high)}`,
      p: fmt(c.p_value, 4), p_adj: fmt(c.p_adjusted, 4), sig: c.significant ? "yes" : "no", test: c.test,
    }));
    const out = $("ab-file-result");
    out.replaceChildren(...[
      el("p", { class: "an-summary" }, res.summary),
      res.srm && res.srm.mismatch ? el("div", { class: "error" }, "Sample-ratio mismatch: " + res.srm.message) : null,
      ...(res.warnings || []).map((w) => el("p", { class: "warn" }, w)),
      table(rows, [
        { key: "metric", label: "metric" }, { key: "treatment", label: "arm" },
        { key: "control", label: "control", num: true }, { key: "variant", label: "arm value", num: true },
        { key: "lift", label: "relative lift", num: true }, { key: "ci", label: "95 % CI" },
        { key: "p", label: "p", num: true }, { key: "p_adj", label: `p (${res.correction})`, num: true },
        { key: "sig", label: "significant" }, { key: "test", label: "test" },
      ]),
      ...Object.entries(res.plots || {}).map(([name, b64]) =>
        el("img", { class: "plot", alt: name + " chart", src: "data:image/png;base64," + b64 })),
    ].filter(Boolean));
  }

  async function run() {
    const file = $("ab-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("arm", $("ab-arm").value);
    for (const box of $("ab-metrics").querySelectorAll("input:checked")) form.append("metric", box.value);
    if ($("ab-covariate").value) form.append("covariate", $("ab-covariate").value);
    if ($("ab-control").value) form.append("control", $("ab-control").value);
    form.append("sequential", $("ab-sequential").checked ? "true" : "false");
    form.append("plots", "true");
    $("ab-file-run").disabled = true;
    $("ab-file-status").textContent = "analysing…";
    $("ab-file-error").replaceChildren();
    try { render(await api("/analytics/abtest", { method: "POST", form })); }
    catch (err) { $("ab-file-result").replaceChildren(); showError($("ab-file-error"), err); }
    finally { $("ab-file-run").disabled = false; $("ab-file-status").textContent = ""; }
  }

  async function loadDemo(name, inputId) {
    const res = await fetch("/api/v1/analytics/demo/" + name, { headers: window.adlens.apiKey() ? { "X-API-Key": window.adlens.apiKey() } : {} });
    if (!res.ok) throw new Error(`could not load demo data (${res.status})`);
    const file = new File([await res.blob()], name, { type: "text/csv" });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    $(inputId).files = transfer.files;
    $(inputId).dispatchEvent(new Event("change"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("ab-file").addEventListener("change", onFile);
    $("ab-arm").addEventListener("change", onArm);
    $("ab-file-run").addEventListener("click", run);
    $("ab-demo").addEventListener("click", () => loadDemo("abtest_checkout.csv", "ab-file").catch((e) => showError($("ab-file-error"), e)));
    const causalFile = $("an-file");
    if (causalFile) {
      const button = el("button", { class: "btn", type: "button", id: "an-demo" }, "Use demo data");
      button.addEventListener("click", () => {
        // four markets are treated: synthetic DiD handles several treated units
        $("an-method").value = "sdid";
        $("an-method").dispatchEvent(new Event("change"));
        loadDemo("geo_campaign.csv", "an-file").catch((e) => showError($("an-error"), e));
      });
      causalFile.closest(".field").append(button);
    }
  });
})();
