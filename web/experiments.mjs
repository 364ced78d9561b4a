// experiments.mjs — the experiment pages: the runs recorded in the tracking
// store (`cml fit --track`, lessons' runs), one run with its metric curves,
// and a comparison of chosen runs (params and metrics side by side, curves
// overlaid). Charts are SVG built with DOM calls (no library, no canvas), each
// a <figure> with role="img", a text label and a caption.
import { formatValue } from "./format.mjs";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// "nice" tick values covering [lo, hi]
function ticks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// A line chart of series [{name, steps, values}] against the step.
export function lineChart(el, title, series, xLabel = "step") {
  const W = 640,
    H = 300,
    L = 64,
    R = 16,
    T = 16,
    B = 44;
  const pts = series.flatMap((s) => s.steps.map((x, i) => [x, s.values[i]])).filter(([, y]) => y !== null && Number.isFinite(y));
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5 * (Math.abs(y0) || 1), y1 + 0.5 * (Math.abs(y1) || 1)];
  const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${title}: ${series.map((s) => s.name).join(", ")} by ${xLabel}` });
  g.append(svg("title", {}, title));
  for (const v of ticks(y0, y1)) {
    g.append(svg("line", { x1: L, x2: W - R, y1: py(v), y2: py(v), class: "grid" }));
    g.append(svg("text", { x: L - 6, y: py(v) + 4, "text-anchor": "end", class: "tick" }, formatValue(v)));
  }
  for (const v of ticks(x0, x1, 6)) {
    g.append(svg("line", { x1: px(v), x2: px(v), y1: H - B, y2: H - B + 4, class: "axis" }));
    g.append(svg("text", { x: px(v), y: H - B + 18, "text-anchor": "middle", class: "tick" }, formatValue(v)));
  }
  g.append(svg("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, class: "axis" }));
  g.append(svg("line", { x1: L, x2: L, y1: T, y2: H - B, class: "axis" }));
  g.append(svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", class: "label" }, xLabel));
  series.forEach((s, k) => {
    const d = s.steps
      .map((x, i) => [x, s.values[i]])
      .filter(([, y]) => y !== null && Number.isFinite(y))
      .map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join("");
    g.append(svg("path", { d, fill: "none", stroke: COLORS[k % COLORS.length], "stroke-width": 2 }));
  });
  const legend = series.length > 1 ? el("ul", { class: "legend" }, series.map((s, k) => el("li", { "data-color": k % COLORS.length }, s.name))) : null;
  return el("figure", { class: "chart-figure" }, g, el("figcaption", {}, title), legend);
}

const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "–");

async function getRun(api, id) {
  const r = await api(`/api/experiments/runs/${id}`);
  if (!r.ok) throw new Error(r.body.error || `HTTP ${r.status}`);
  return r.body;
}

export async function showExperiments(ctx) {
  const { api, el, setPage, errorBox } = ctx;
  const r = await api("/api/experiments");
  if (!ctx.current()) return;
  if (!r.ok) {
    setPage("Experiments", el("h1", {}, "Experiments"), errorBox(r.body.error || `HTTP ${r.status}`));
    return;
  }
  const { runs, available, store, total } = r.body;
  if (!available || !runs.length) {
    setPage(
      "Experiments",
      el("h1", {}, "Experiments"),
      el("p", {}, available ? `The tracking store ${store} holds no run yet.` : `No tracking store at ${store} yet.`),
      el("p", {}, "Runs appear here when they are recorded: ", el("code", {}, "cml fit --track ..."), " (or ", el("code", {}, "cml web --store PATH"), " for another store)."),
    );
    return;
  }
  const metricKeys = [...new Set(runs.flatMap((x) => Object.keys(x.metrics)))].slice(0, 6);
  const compare = el("button", { type: "button", disabled: true, id: "compare-button" }, "Compare selected");
  const picked = new Set();
  const onPick = (e) => {
    const id = Number(e.target.value);
    if (e.target.checked) picked.add(id);
    else picked.delete(id);
    compare.disabled = picked.size < 2;
    compare.textContent = picked.size >= 2 ? `Compare ${picked.size} runs` : "Compare selected";
  };
  compare.addEventListener("click", () => {
    location.hash = `#/experiments/compare/${[...picked].sort((a, b) => a - b).join(",")}`;
  });
  const table = el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Recorded runs" },
    el(
      "table",
      { id: "runs-table" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Select")),
          ["Run", "Experiment", "Algorithm", "Status", "Started", "Seconds", "Data"].map((h) => el("th", { scope: "col" }, h)),
          metricKeys.map((k) => el("th", { scope: "col" }, k)),
        ),
      ),
      el(
        "tbody",
        {},
        runs.map((x) =>
          el(
            "tr",
            {},
            el("td", {}, el("input", { type: "checkbox", value: x.id, "aria-label": `Select run ${x.id}`, onchange: onPick })),
            el("td", {}, el("a", { href: `#/experiments/run/${x.id}` }, `#${x.id}`)),
            el("td", {}, x.experiment),
            el("td", {}, x.params.algo || "–"),
            el("td", {}, x.status),
            el("td", {}, when(x.start_time)),
            el("td", {}, formatValue(x.duration)),
            el("td", {}, x.data_path.split("/").pop() || "–"),
            metricKeys.map((k) => el("td", {}, k in x.metrics ? formatValue(x.metrics[k]) : "–")),
          ),
        ),
      ),
    ),
  );
  setPage(
    "Experiments",
    el("h1", {}, "Experiments"),
    el("p", { class: "lead" }, `${total} runs recorded in ${store}${total > runs.length ? ` (the newest ${runs.length} shown)` : ""}. Pick two or more to compare them.`),
    el("div", { class: "run-controls" }, compare),
    table,
  );
}

function kvTable(el, caption, rows) {
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el("table", { class: "kv" }, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v))))),
  );
}

export async function showExperimentRun(ctx, id) {
  const { el, setPage, errorBox } = ctx;
  let run;
  try {
    run = await getRun(ctx.api, id);
  } catch (e) {
    if (ctx.current()) setPage("Run", el("h1", {}, `Run ${id}`), errorBox(e.message));
    return;
  }
  if (!ctx.current()) return;
  const curves = Object.entries(run.curves);
  setPage(
    `Run ${run.id}`,
    el("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, el("ol", {}, el("li", {}, el("a", { href: "#/experiments" }, "Experiments")), el("li", {}, run.experiment))),
    el("h1", {}, `Run #${run.id}`),
    el("p", { class: "lead" }, `${run.status}, started ${when(run.start_time)}, ${formatValue(run.duration)} s, cml ${run.cml_version}`),
    el("h2", {}, "Final metrics"),
    Object.keys(run.metrics).length
      ? el("dl", { class: "metrics" }, Object.entries(run.metrics).map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, formatValue(v)))))
      : el("p", {}, "None recorded."),
    curves.length ? el("h2", {}, "Metric curves") : null,
    curves.length ? el("div", { class: "plots" }, curves.map(([k, c]) => lineChart(el, k, [{ name: k, steps: c.steps, values: c.values }]))) : null,
    el("h2", {}, "Parameters"),
    kvTable(el, "Parameters", Object.entries(run.params)),
    el("h2", {}, "Files"),
    kvTable(el, "Files", [
      ["data", `${run.data_path || "–"}${run.data_sha256 ? ` (sha256 ${run.data_sha256.slice(0, 12)}…)` : ""}`],
      ["model", `${run.model_path || "–"}${run.model_sha256 ? ` (sha256 ${run.model_sha256.slice(0, 12)}…)` : ""}`],
    ]),
  );
}

export async function showCompare(ctx, idList) {
  const { el, setPage, errorBox } = ctx;
  const ids = idList.split(",").map(Number).filter((n) => n > 0).slice(0, 8);
  let runs;
  try {
    runs = await Promise.all(ids.map((id) => getRun(ctx.api, id)));
  } catch (e) {
    if (ctx.current()) setPage("Compare", el("h1", {}, "Compare runs"), errorBox(e.message));
    return;
  }
  if (!ctx.current()) return;
  const rowsOf = (field) => [...new Set(runs.flatMap((x) => Object.keys(x[field])))].sort();
  const row = (k, vals) => {
    const differs = new Set(vals.map(String)).size > 1;
    return el("tr", { class: differs ? "differs" : "" }, el("th", { scope: "row" }, k), vals.map((v) => el("td", {}, v)));
  };
  const head = el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), runs.map((x) => el("th", { scope: "col" }, el("a", { href: `#/experiments/run/${x.id}` }, `#${x.id}`)))));
  const metricRows = rowsOf("metrics").map((k) => row(k, runs.map((x) => (k in x.metrics ? formatValue(x.metrics[k]) : "–"))));
  const paramRows = rowsOf("params").map((k) => row(k, runs.map((x) => x.params[k] ?? "–")));
  const curveKeys = [...new Set(runs.flatMap((x) => Object.keys(x.curves)))].sort();
  setPage(
    "Compare runs",
    el("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, el("ol", {}, el("li", {}, el("a", { href: "#/experiments" }, "Experiments")), el("li", {}, "Compare"))),
    el("h1", {}, `Compare runs ${runs.map((x) => `#${x.id}`).join(", ")}`),
    el("p", { class: "lead" }, "Rows whose values differ between the runs are highlighted."),
    el("h2", {}, "Metrics"),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Metrics" }, el("table", { id: "compare-metrics" }, head.cloneNode(true), el("tbody", {}, metricRows))),
    curveKeys.length ? el("h2", {}, "Metric curves") : null,
    curveKeys.length
      ? el(
          "div",
          { class: "plots" },
          curveKeys.map((k) =>
            lineChart(
              el,
              k,
              runs.filter((x) => x.curves[k]).map((x) => ({ name: `#${x.id}`, steps: x.curves[k].steps, values: x.curves[k].values })),
            ),
          ),
        )
      : null,
    el("h2", {}, "Parameters"),
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Parameters" }, el("table", { id: "compare-params" }, head, el("tbody", {}, paramRows))),
  );
}
