/* Analytics page: upload a panel, map columns (auto-detected), run a causal method, read the result. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const { api, el, showError, table, fmt } = window.adlens;
  let file = null;

  function fillSelect(select, values, chosen) {
    select.replaceChildren(...values.map((v) => el("option", { value: v, selected: v === chosen }, String(v))));
  }

  function showFields() {
    const m = $("an-method").value;
    document.querySelectorAll("#an-causal [data-for]").forEach((node) => {
      node.classList.toggle("an-hidden", !node.dataset.for.split(" ").includes(m));
    });
  }

  async function inspect() {
    file = $("an-file").files[0] || null;
    $("an-error").replaceChildren();
    $("an-run").disabled = true;
    if (!file) return;
    $("an-file-info").textContent = "reading…";
    const form = new FormData();
    form.append("file", file);
    try {
      const info = await api("/analytics/inspect", { method: "POST", form });
      const cols = info.columns;
      fillSelect($("an-unit"), cols, info.unit);
      fillSelect($("an-time"), cols, info.time);
      fillSelect($("an-outcome"), cols, info.outcome);
      fillSelect($("an-units"), info.units, null);
      fillSelect($("an-treatment"), ["", ...cols], info.treatment || "");
      $("an-treatment").options[0].textContent = "(none: use treated units + start)";
      for (const opt of $("an-units").options) opt.selected = info.treated_units.map(String).includes(opt.value);
      if (info.start !== null && info.start !== undefined) $("an-start").value = info.start;
      $("an-file-info").textContent = `${info.n_rows.toLocaleString()} rows · ${cols.length} columns` +
        (info.treatment ? ` · treatment column “${info.treatment}” detected` : "");
      $("an-run").disabled = false;
    } catch (err) {
      $("an-file-info").textContent = "";
      showError($("an-error"), err);
    }
  }

  async function refreshUnits() {
    // the treated-unit choices depend on the chosen unit column
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    form.append("unit", $("an-unit").value);
    try {
      const info = await api("/analytics/inspect", { method: "POST", form });
      fillSelect($("an-units"), info.units, null);
    } catch (err) { showError($("an-error"), err); }
  }

  function kpi(label, value) { return el("div", {}, el("span", { class: "muted" }, label), el("b", {}, value)); }

  function render(method, res) {
    $("an-result").classList.remove("an-hidden");
    $("an-summary").textContent = res.summary;
    const k = [];
    if (method === "geo-design") {
      k.push(kpi("controls", Object.keys(res.controls).length));
      k.push(kpi("min. detectable lift", res.mde === null ? "n/a" : (100 * res.mde).toFixed(1) + " %"));
      if (res.power_at_effect !== null) k.push(kpi("power at planned lift", (100 * res.power_at_effect).toFixed(0) + " %"));
      k.push(kpi("holdout MAPE", (100 * res.holdout_mape).toFixed(1) + " %"));
    } else {
      k.push(kpi("effect (ATT)", fmt(res.att)));
      if (res.se !== null && res.se !== undefined) k.push(kpi(method === "sdid" ? "placebo std. error" : "std. error", fmt(res.se)));
      else if (res.att_se !== null && res.att_se !== undefined) k.push(kpi("SE of mean gap", fmt(res.att_se)));
      if (res.p_value !== null && res.p_value !== undefined) k.push(kpi("p-value", fmt(res.p_value)));
      if (res.pre_rmspe !== undefined) k.push(kpi("pre-period RMSPE", fmt(res.pre_rmspe)));
    }
    $("an-kpis").replaceChildren(...k);
    const charts = res.charts || {};
    $("an-charts").replaceChildren(...Object.values(charts).map((svg) => {
      const box = el("div", { class: "card" });
      box.innerHTML = svg; // server-rendered SVG (escaped labels, no scripts)
      return box;
    }));
    const weights = res.weights || res.controls || {};
    const rows = Object.entries(weights).map(([unit, w]) => ({ unit, weight: fmt(w, 4) }));
    const parts = [];
    if (rows.length) parts.push(table(rows, ["unit", "weight"]));
    if (res.placebo) parts.push(el("p", {}, `Placebo test: rank ${res.placebo.rank} of ${res.placebo.n_units}.`));
    if (res.estimates) parts.push(el("p", {}, "SDID " + fmt(res.estimates.sdid) + " · SC " + fmt(res.estimates.sc) + " · DiD " + fmt(res.estimates.did)));
    if (res.pretrend && res.pretrend.p_value !== undefined) parts.push(el("p", {}, `Pre-trend test p = ${fmt(res.pretrend.p_value)}`));
    $("an-details").replaceChildren(...parts);
  }

  async function run() {
    const method = $("an-method").value;
    const treated = [...$("an-units").selectedOptions].map((o) => o.value);
    const form = new FormData();
    form.append("file", file);
    form.append("unit", $("an-unit").value);
    form.append("time", $("an-time").value);
    form.append("outcome", $("an-outcome").value);
    form.append("charts", "svg");
    if (method === "synth") {
      if (treated.length !== 1) { showError($("an-error"), new Error("Synthetic control needs exactly one treated unit; use SDID or DiD for several.")); return; }
      form.append("treated", treated[0]);
    } else {
      treated.forEach((t) => form.append("treated", t));
    }
    if (method === "geo-design") {
      form.append("test_length", $("an-length").value);
      if ($("an-effect").value) form.append("effect", $("an-effect").value);
    } else if ((method === "did" || method === "sdid") && $("an-treatment").value) {
      form.delete("treated");
      form.append("treatment", $("an-treatment").value);  // staggered designs go to Callaway–Sant'Anna
    } else {
      form.append("start", $("an-start").value);
    }
    if (method === "sdid") form.append("replications", "100");
    $("an-error").replaceChildren();
    $("an-run").disabled = true;
    $("an-status").textContent = "running…";
    try {
      render(method, await api("/analytics/" + method, { method: "POST", form }));
    } catch (err) {
      showError($("an-error"), err);
    } finally {
      $("an-run").disabled = false;
      $("an-status").textContent = "";
    }
  }

  async function abtest() {
    const n = (id) => Number($(id).value);
    $("ab-error").replaceChildren();
    try {
      const res = await api("/analytics/abtest", { method: "POST", json: { counts: [
        { arm: "A", users: n("ab-a-users"), conversions: n("ab-a-conv") },
        { arm: "B", users: n("ab-b-users"), conversions: n("ab-b-conv") },
      ] } });
      $("ab-result").textContent = res.summary + (res.srm && res.srm.mismatch ? " Warning: " + res.srm.message : "");
    } catch (err) {
      $("ab-result").textContent = "";
      showError($("ab-error"), err);
    }
  }

  $("an-file").addEventListener("change", inspect);
  $("an-unit").addEventListener("change", refreshUnits);
  $("an-method").addEventListener("change", showFields);
  $("an-run").addEventListener("click", run);
  $("ab-run").addEventListener("click", abtest);
  showFields();
})();
