#!/usr/bin/python3
"""Draws the recall@10 / queries-per-second curves of bench/results/hnsw*.jsonl
as PNGs next to them (bench/results/<bench>.png), with cml's own plotting
(`cml plot scatter`: one colour per implementation and thread count).
bench/report.py links each picture under its table.
Usage: bench/plot_hnsw.py build/cml"""
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile

cml = sys.argv[1] if len(sys.argv) > 1 else "build/cml"
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
for path in sorted(glob.glob(os.path.join(here, "hnsw*.jsonl"))):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    pts = [r for r in rows if r.get("qps") and not r["impl"].endswith("int8")]
    if not pts:
        continue
    name = os.path.basename(path)[:-len(".jsonl")]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as f:
        w = csv.writer(f)
        w.writerow(["recall_at_10", "queries_per_second", "implementation"])
        for r in pts:
            w.writerow([r["value"], round(r["qps"]), f"{r['impl']}, {r['threads']} thr"])
        tmp = f.name
    out = os.path.join(here, name + ".png")
    data = pts[0]["data"]
    subprocess.run([cml, "plot", "scatter", "--data", tmp, "--x", "recall_at_10",
                    "--y", "queries_per_second", "--label", "implementation", "--out", out,
                    "--title", f"HNSW, {data.split(',')[0]}: recall vs speed",
                    "--xlabel", "recall@10", "--ylabel", "queries per second"], check=True)
    os.unlink(tmp)
