// app.mjs — the cml courses front end: a catalogue by section (#/), a lesson
// page (#/lesson/ID) with its Run button, progress and results, and the
// status bar. Talks only to this server's JSON API (docs/web.md); builds
// the page with DOM calls, so text from the server is never parsed as HTML
// except through md.mjs, which escapes it.
import { formatValue } from "./format.mjs";
import { renderMarkdown, inline } from "./md.mjs";
import { showExperiments, showExperimentRun, showCompare } from "./experiments.mjs";

const $ = (sel, root = document) => root.querySelector(sel);
const main = $("#main");
let routeToken = 0; // bumped on every navigation: stale pollers stop

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "html") e.innerHTML = v; // only ever given md.mjs output
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(path, options) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, ...options });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = { error: `HTTP ${res.status}` };
  }
  return { status: res.status, ok: res.ok, body };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function setPage(title, ...nodes) {
  document.title = title ? `${title} · cml courses` : "cml courses";
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  const h1 = $("h1", main);
  if (h1) {
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

function errorBox(message, detail) {
  return el("div", { class: "error", role: "alert" }, el("p", {}, message), detail ? el("pre", {}, detail) : null);
}

// ---------------------------------------------------------------- catalogue

async function showCatalogue(token) {
  let r = await api("/api/catalogue");
  while (r.status === 503 && /loading/.test(r.body.error || "") && token === routeToken) {
    main.replaceChildren(el("p", { class: "loading" }, "Loading the lessons…"));
    await sleep(500);
    r = await api("/api/catalogue");
  }
  if (token !== routeToken) return;
  if (!r.ok) {
    setPage("Error", el("h1", {}, "The lessons could not be loaded"), errorBox(r.body.error || `HTTP ${r.status}`));
    return;
  }
  const sections = r.body.sections || [];
  const all = sections.flatMap((s) => s.topics);
  const live = all.filter((t) => t.live).length;
  const onlyLive = sessionStorage.getItem("onlyLive") === "1";

  const lists = sections.map((s) => {
    const nLive = s.topics.filter((t) => t.live).length;
    const headId = `sec-${s.id}`;
    return el(
      "section",
      { "aria-labelledby": headId, class: "catalogue-section" },
      el(
        "div",
        { class: "section-head" },
        el("h2", { id: headId }, s.title),
        el("span", { class: "count" }, `${s.topics.length} lessons${nLive ? `, ${nLive} live` : ""}`),
      ),
      el(
        "ul",
        { class: "cards" },
        s.topics.map((t) =>
          el(
            "li",
            { class: `card${t.live ? " is-live" : ""}`, "data-live": t.live ? "1" : "0" },
            el(
              "a",
              { href: `#/lesson/${encodeURIComponent(t.id)}` },
              el("span", { class: "title" }, el("span", { class: "num", "aria-hidden": "true" }, `${t.order}.`), t.title),
              t.tags ? el("span", { class: "tags" }, t.tags) : null,
              el(
                "span",
                { class: "meta" },
                t.live
                  ? el("span", { class: "badge live" }, `Live · ${t.data}`)
                  : el("span", { class: "badge text" }, "Text only"),
              ),
            ),
          ),
        ),
      ),
    );
  });

  const applyFilter = (on) => {
    for (const li of main.querySelectorAll("li.card")) li.classList.toggle("hidden-by-filter", on && li.dataset.live !== "1");
    for (const sec of main.querySelectorAll("section.catalogue-section"))
      sec.classList.toggle("hidden-by-filter", on && !sec.querySelector("li.card[data-live='1']"));
  };
  const box = el("input", {
    type: "checkbox",
    id: "only-live",
    checked: onlyLive,
    onchange: (e) => {
      sessionStorage.setItem("onlyLive", e.target.checked ? "1" : "0");
      applyFilter(e.target.checked);
    },
  });
  setPage(
    "",
    el("h1", {}, "Lessons"),
    el(
      "p",
      { class: "lead" },
      `${all.length} topics in ${sections.length} sections. ${live} of them run a live experiment: ` +
        "every number and plot on their page is computed by cml, on real data, when you press Run.",
    ),
    el("div", { class: "filters" }, el("label", { for: "only-live" }, box, "Only lessons with a live experiment")),
    lists,
  );
  applyFilter(onlyLive);
}

// ---------------------------------------------------------------- lesson

async function showLesson(id, token) {
  let r = await api(`/api/lessons/${encodeURIComponent(id)}`);
  while (r.status === 503 && /loading/.test(r.body.error || "") && token === routeToken) {
    await sleep(500);
    r = await api(`/api/lessons/${encodeURIComponent(id)}`);
  }
  if (token !== routeToken) return;
  if (!r.ok) {
    setPage(
      "Not found",
      el("h1", {}, r.status === 404 ? "No such lesson" : "The lesson could not be loaded"),
      errorBox(r.body.error || `HTTP ${r.status}`),
      el("p", {}, el("a", { href: "#/" }, "Back to all lessons")),
    );
    return;
  }
  const l = r.body;
  const parts = (l.sections || []).map((s, i) =>
    el(
      "section",
      { "aria-labelledby": `part-${i}` },
      el("h2", { id: `part-${i}` }, s.heading),
      el("div", { html: renderMarkdown(s.markdown) }),
    ),
  );
  const article = el("article", { "aria-labelledby": "lesson-title" }, parts);
  const layout = el("div", { class: `lesson${l.live ? " live" : ""}` }, article);
  let panel = null;
  if (l.live) {
    panel = runPanel(l, token);
    layout.append(panel.node);
  }
  setPage(
    l.title,
    el(
      "nav",
      { class: "crumbs", "aria-label": "Breadcrumb" },
      el("ol", {}, el("li", {}, el("a", { href: "#/" }, "All lessons")), el("li", {}, l.section_title)),
    ),
    el("h1", { id: "lesson-title" }, l.title),
    el(
      "div",
      { class: "lesson-meta" },
      l.live ? el("span", { class: "badge live" }, `Live experiment · data: ${l.data}`) : el("span", { class: "badge text" }, "Text only"),
      l.tags ? el("span", { class: "tags" }, l.tags) : null,
      l.live
        ? el(
            "button",
            {
              type: "button",
              class: "secondary jump",
              onclick: () => {
                $("#run-title").scrollIntoView({ behavior: "smooth", block: "start" });
                $("#run-button").focus({ preventScroll: true });
              },
            },
            "Go to the experiment",
          )
        : null,
    ),
    !l.live && l.status ? el("p", { class: "notice" }, el("strong", {}, "Not in cml yet: "), l.status) : null,
    layout,
  );
  if (panel) panel.resume();
}

// The Run panel: button, progress, then the result of the run.
function runPanel(lesson, token) {
  const button = el("button", { type: "button", id: "run-button" }, "Run the experiment");
  const bar = el("progress", { max: "1", value: "0", "aria-label": "Progress of the run" });
  const msg = el("span", { class: "text" }, "");
  const clock = el("span", { class: "clock" }, "");
  const stepsList = el("ol", {});
  const steps = el("details", { class: "steps" }, el("summary", {}, "Progress log"), stepsList);
  const progress = el("div", { class: "progress", hidden: true, id: "run-progress" }, bar, el("div", { class: "msg" }, msg, clock), steps);
  const announce = el("p", { class: "run-info", role: "status", "aria-live": "polite" }, "");
  const results = el("div", { class: "results", id: "run-results" });
  const node = el(
    "section",
    { class: "run-panel", "aria-labelledby": "run-title" },
    el("h2", { id: "run-title" }, "Run it"),
    el(
      "p",
      {},
      "Runs this lesson's experiment on ",
      el("strong", {}, lesson.data),
      " with cml, on this machine, and shows what it measured.",
    ),
    el("div", { class: "run-controls" }, button),
    progress,
    announce,
    results,
  );

  const running = (on) => {
    button.disabled = on;
    button.textContent = on ? "Running…" : "Run again";
    if (on) button.setAttribute("aria-describedby", "run-progress");
  };

  const showJob = (job) => {
    progress.hidden = false;
    bar.value = job.fraction ?? 0;
    bar.setAttribute("aria-valuetext", `${Math.round((job.fraction ?? 0) * 100)}% — ${job.message || ""}`);
    msg.textContent = job.message || (job.state === "running" ? "starting" : "");
    clock.textContent = `${job.seconds.toFixed(1)} s`;
    const have = stepsList.children.length;
    for (const s of (job.progress || []).slice(have)) stepsList.append(el("li", {}, `${s.t.toFixed(1)} s — ${Math.round(s.fraction * 100)}% ${s.message}`));
  };

  const poll = async (jobId) => {
    running(true);
    results.replaceChildren();
    stepsList.replaceChildren();
    announce.textContent = "Running…";
    for (;;) {
      if (token !== routeToken) return;
      const r = await api(`/api/run/${jobId}`);
      if (token !== routeToken) return;
      if (!r.ok) {
        running(false);
        announce.textContent = "";
        results.replaceChildren(errorBox(r.body.error || `HTTP ${r.status}`));
        return;
      }
      const job = r.body;
      showJob(job);
      if (job.state === "done") {
        running(false);
        bar.value = 1;
        announce.textContent = `Finished in ${job.seconds.toFixed(1)} s (run #${job.job}${job.quick ? ", quick settings" : ""}).`;
        results.replaceChildren(...renderResult(job.result));
        return;
      }
      if (job.state === "failed") {
        running(false);
        announce.textContent = "";
        results.replaceChildren(errorBox(`The run failed: ${job.error}`, job.log || null));
        return;
      }
      await sleep(400);
    }
  };

  button.addEventListener("click", async () => {
    running(true);
    const r = await api(`/api/run/${encodeURIComponent(lesson.id)}`, { method: "POST" });
    if (!r.ok) {
      running(false);
      results.replaceChildren(errorBox(r.body.error || `HTTP ${r.status}`));
      return;
    }
    poll(r.body.job);
  });

  // A run of this lesson that is going on, or the last one that finished.
  const resume = async () => {
    const r = await api("/api/runs");
    if (!r.ok || token !== routeToken) return;
    const job = (r.body.jobs || []).find((j) => j.lesson === lesson.id && j.state !== "failed");
    if (job) poll(job.job);
  };
  return { node, resume };
}

function renderResult(res) {
  const out = [];
  if (!res) return out;
  if (res.metrics && res.metrics.length)
    out.push(
      el("h3", {}, "Metrics"),
      el(
        "dl",
        { class: "metrics", id: "run-metrics" },
        res.metrics.map((m) => el("div", { "data-name": m.name }, el("dt", {}, m.label || m.name), el("dd", {}, formatValue(m.value)))),
      ),
    );
  if (res.notes && res.notes.length) out.push(el("h3", {}, "What the numbers say"), el("ul", { class: "notes" }, res.notes.map((n) => el("li", { html: inline(n) }))));
  if (res.table && res.table.columns) {
    out.push(
      el("h3", {}, "Table"),
      el(
        "div",
        { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Results table" },
        el(
          "table",
          {},
          el("thead", {}, el("tr", {}, res.table.columns.map((c) => el("th", { scope: "col" }, c)))),
          el("tbody", {}, (res.table.rows || []).map((row) => el("tr", {}, row.map((v) => el("td", {}, formatValue(v)))))),
        ),
      ),
    );
  }
  if (res.plots && res.plots.length) {
    const stamp = Date.now(); // a rerun rewrites the same file names
    out.push(
      el("h3", {}, "Plots"),
      el(
        "div",
        { class: "plots" },
        res.plots.map((p) =>
          el(
            "figure",
            {},
            p.url
              ? el("img", { src: `${p.url}?t=${stamp}`, alt: p.title || "plot of the run", loading: "lazy" })
              : el("p", {}, `(plot file outside the served folder: ${p.path})`),
            el("figcaption", {}, p.title || ""),
          ),
        ),
      ),
    );
  }
  if (typeof res.seconds === "number") out.push(el("p", { class: "run-info" }, `Measured by cml in ${res.seconds.toFixed(2)} s on ${res.data}.`));
  return out;
}

// ---------------------------------------------------------------- status bar

function formatBytes(b) {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(1)} GB`;
  return `${Math.round(b / (1 << 20))} MB`;
}

async function pollStatus() {
  const ram = $("#st-ram"),
    cpu = $("#st-cpu"),
    load = $("#st-load"),
    runs = $("#st-runs");
  for (;;) {
    try {
      const r = await api("/api/status");
      const s = r.body;
      ram.textContent = `${s.ram_percent.toFixed(1)}% (${formatBytes(s.rss_bytes + s.children_rss_bytes)})`;
      cpu.textContent = `${s.cpu_percent.toFixed(0)}% of ${s.cpus} cores`;
      const c = s.catalogue;
      load.classList.toggle("bad", c.state === "error");
      load.textContent = c.state === "ready" ? `${c.lessons} loaded, ${c.live} live` : c.state === "loading" ? "loading…" : "error";
      load.title = c.error || "";
      runs.textContent = s.runs.length ? s.runs.map((j) => `${j.lesson} ${Math.round(j.fraction * 100)}%`).join(", ") : "none";
    } catch {
      load.classList.add("bad");
      load.textContent = "server unreachable";
    }
    await sleep(2000);
  }
}

// ---------------------------------------------------------------- routing

function route() {
  const token = ++routeToken;
  const h = location.hash;
  const ctx = { api, el, setPage, errorBox, current: () => token === routeToken };
  let m;
  for (const a of document.querySelectorAll(".top nav a[data-nav]")) a.removeAttribute("aria-current");
  const nav = (name) => document.querySelector(`.top nav a[data-nav="${name}"]`)?.setAttribute("aria-current", "page");
  if ((m = /^#\/lesson\/([^/?#]+)/.exec(h))) {
    nav("lessons");
    showLesson(decodeURIComponent(m[1]), token);
  } else if ((m = /^#\/experiments\/run\/(\d+)$/.exec(h))) {
    nav("experiments");
    showExperimentRun(ctx, m[1]);
  } else if ((m = /^#\/experiments\/compare\/([\d,]+)$/.exec(h))) {
    nav("experiments");
    showCompare(ctx, m[1]);
  } else if (/^#\/experiments\/?$/.test(h)) {
    nav("experiments");
    showExperiments(ctx);
  } else {
    nav("lessons");
    showCatalogue(token);
  }
}

window.addEventListener("hashchange", route);
route();
pollStatus();
