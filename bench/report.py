"""Renders bench/results/*.jsonl as BENCHMARKS.md: cml vs reference, side by side, as ratios."""
import datetime
import glob
import json
import os
import platform
import sys


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {platform.system()} {platform.release()}"


def fmt_s(v):
    if v is None:
        return "–"
    return f"{v * 1e3:.1f} ms" if v < 1 else f"{v:.2f} s"


def ratio(ref, ours):
    if not ref or not ours:
        return "–"
    return f"**{ref / ours:.2f}×**"


def qps_table(rs):
    """Recall / queries-per-second side by side per ef and thread count (ANN indexes)."""
    impls = []
    for r in rs:
        if "qps" in r and r["impl"] not in impls:
            impls.append(r["impl"])
    ref = next((i for i in impls if not i.startswith("cml")), None)
    out = [f"Data: {rs[0]['data']}; M={rs[0].get('M')}, ef_construction={rs[0].get('ef_construction')}.", ""]
    head = "| threads | ef | " + " | ".join(f"{i} recall@10 | {i} QPS" for i in impls)
    head += f" | cml speed-up vs {ref} |" if ref else " |"
    out += [head, "|" + "---|" * (2 + 2 * len(impls) + (1 if ref else 0))]
    keys = []
    for r in rs:
        if "qps" in r and (r["threads"], r["task"]) not in keys:
            keys.append((r["threads"], r["task"]))
    for t, task in keys:
        cells = []
        got = {}
        for i in impls:
            r = next((x for x in rs if x.get("qps") and x["impl"] == i and x["threads"] == t
                      and x["task"] == task), None)
            got[i] = r
            cells.append(f"{r['value']:.4f} | {r['qps']:.0f}" if r else "– | –")
        line = f"| {t} | {task.replace('ef=', '')} | " + " | ".join(cells)
        if ref and got.get("cml") and got.get(ref):
            line += f" | **{got['cml']['qps'] / got[ref]['qps']:.2f}×** |"
        else:
            line += " | |"
        out.append(line)
    builds = {}
    for r in rs:
        if "build_s" in r:
            builds[(r["impl"], r["threads"])] = r["build_s"]
    if builds:
        out += ["", "Build time: " + ", ".join(f"{i} ({t} thr) {b:.1f} s" for (i, t), b in builds.items()) + "."]
    opens = [r for r in rs if "open_s" in r]
    for r in opens:
        out.append(f"Open by mmap (full graph validation): {r['open_s'] * 1e3:.1f} ms, "
                   f"RSS +{r.get('rss_open_kb', 0) / 1024:.1f} MiB ({r['impl']}, {r['threads']} thr).")
    out.append("")
    return out


def main(folder):
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        rows += [json.loads(l) for l in open(path) if l.strip()]
    out = ["# Benchmarks", "",
           f"Machine: {machine()}. Generated {datetime.date.today()} by `make bench` "
           "(bench/run); each row pairs cml with the reference implementation on the same data in "
           "the same run, with the same hyper-parameters and thread count. Times are the "
           "algorithm's own (best of 3 where noted by the bench; cml's `--json` timings exclude "
           "CSV parsing, the reference is timed around `.fit()` / `.predict()`). "
           "Speed-up = reference time / cml time (> 1 means cml is faster).", ""]
    benches = []
    for r in rows:
        if r["bench"] not in benches:
            benches.append(r["bench"])
    for b in benches:
        rs = [r for r in rows if r["bench"] == b]
        out += [f"## {b}", ""]
        notes = sorted({r["note"] for r in rs if r.get("note")})
        if any("qps" in r for r in rs):
            out += qps_table(rs)
            png = os.path.join(folder, f"{b}.png")  # drawn by bench/plot_hnsw.py
            if os.path.exists(png):
                out += ["", f"![recall vs queries per second]({os.path.relpath(png, os.path.join(folder, '..', '..'))})"]
        elif any("accuracy" in r and "model" in r for r in rs):
            out += ["| model | settings | epochs | train / test images | test accuracy | fit seconds | threads |",
                    "|---|---|---|---|---|---|---|"]
            for r in rs:
                out.append(f"| {r['model']} | `{r['params']}` | {r['epochs']} | {r['train_rows']} / "
                           f"{r['test_rows']} | **{100 * r['accuracy']:.2f}%** | {r['fit_seconds']:.1f} | "
                           f"{r['threads']} |")
        elif any("mb_per_s" in r for r in rs):
            out += ["| data | implementation | threads | seconds | MB/s |", "|---|---|---|---|---|"]
            for r in rs:
                out.append(f"| {r['data']} | {r['impl']} | {r.get('threads', '')} | "
                           f"{r['seconds']:.3f} | {r['mb_per_s']:.0f} |")
        else:
            out += ["| task | data | metric | cml | reference | fit cml | fit ref | fit speed-up | "
                    "predict cml | predict ref | predict speed-up | BLAS (cml) |",
                    "|---|---|---|---|---|---|---|---|---|---|---|---|"]
            keys = []
            for r in rs:
                k = (r["task"], r["data"])
                if k not in keys:
                    keys.append(k)
            for k in keys:
                ours = next((r for r in rs if (r["task"], r["data"]) == k and r["impl"] == "cml"), None)
                ref = next((r for r in rs if (r["task"], r["data"]) == k and r["impl"] != "cml"), None)
                if not ours or not ref:
                    continue
                out.append(
                    f"| {k[0]} | {k[1]} | {ours['metric']} | {ours['value']:.4f} | "
                    f"{ref['value']:.4f} ({ref['impl']}) | {fmt_s(ours.get('fit_s'))} | "
                    f"{fmt_s(ref.get('fit_s'))} | {ratio(ref.get('fit_s'), ours.get('fit_s'))} | "
                    f"{fmt_s(ours.get('predict_s'))} | {fmt_s(ref.get('predict_s'))} | "
                    f"{ratio(ref.get('predict_s'), ours.get('predict_s'))} | {ours.get('blas', '')} |")
        out.append("")
        out += [f"- {n}" for n in notes]
        if notes:
            out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
