#!/usr/bin/python3
"""HTTP model serving: `cml serve` vs a FastAPI + scikit-learn server, under wrk.

Both serve the same model (logistic regression with default parameters, then a
random forest of 100 trees, each fitted on iris) with the same JSON API (POST /v1/models/iris/predict {"rows": [[...]]}),
both on 127.0.0.1 with BENCH_THREADS workers (cml: HTTP threads; FastAPI:
uvicorn worker processes, since the GIL makes threads useless for this), and
both are driven by the same wrk command: 2 wrk threads, 32 connections, 10 s,
a single-row predict per request. wrk and the server share the machine's cores,
as they would on one box; this measures the whole request path (HTTP parsing,
JSON, predict, JSON out), not the model alone.

Rows for bench/report.py: metric "req/s" (value = requests/s; predict_s = the
p50 latency) and metric "p99 ms". Needs wrk (Debian: wrk) and, for the
reference, python3-fastapi + python3-uvicorn; a missing reference is skipped
with a note on stderr.
Usage: bench/bench_serve.py --cml build/cml --build build [--seconds 10]
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
HERE = os.path.dirname(os.path.abspath(__file__))
IRIS = os.path.join(HERE, "..", "data", "iris.csv")
ROW = [5.1, 3.5, 1.4, 0.2]

APP = """
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel
%s
import warnings
warnings.filterwarnings("ignore")
d = np.loadtxt(%r, delimiter=",", skiprows=1)
model = %s.fit(d[:, :-1], d[:, -1])
app = FastAPI()

class Body(BaseModel):
    rows: list[list[float]]

@app.post("/v1/models/iris/predict")
def predict(body: Body):
    return {"model": "iris", "predictions": model.predict(np.asarray(body.rows)).tolist()}

@app.get("/ready")
def ready():
    return {"status": "ready"}
"""

LUA = """
wrk.method = "POST"
wrk.body = '{"rows": [[%s]]}'
wrk.headers["Content-Type"] = "application/json"
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, proc, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"bench_serve: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("bench_serve: server never became ready")


def ms(text):
    v, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def run_wrk(port, lua, seconds):
    cmd = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", lua,
           f"http://127.0.0.1:{port}/v1/models/iris/predict"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"bench_serve: errors under load:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    return rps, p50, p99


# (label, cml algo and params, scikit-learn import, scikit-learn constructor)
MODELS = [
    ("logreg", ["--algo", "logistic_regression"],
     "from sklearn.linear_model import LogisticRegression", "LogisticRegression()"),
    ("random forest, 100 trees", ["--algo", "random_forest_classifier", "--param", "n_estimators=100",
                                  "--param", "random_state=0"],
     "from sklearn.ensemble import RandomForestClassifier",
     "RandomForestClassifier(n_estimators=100, random_state=0)"),
]


def bench(name, cmd, port, lua, seconds, label, cwd=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        wait_ready(port, proc)
        rps, p50, p99 = run_wrk(port, lua, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    task = f"HTTP predict, 1 row, wrk 32 conn {seconds} s"
    data = f"iris {label}, {THREADS} server workers"
    print(f'{{"bench": "serve", "task": "{task}", "data": "{data}", "impl": "{name}", '
          f'"metric": "req/s", "value": {rps}, "predict_s": {p50 / 1e3}, "threads": {THREADS}, '
          f'"p50_ms": {p50}, "p99_ms": {p99}}}', flush=True)
    print(f'{{"bench": "serve", "task": "{task}, p99 latency", "data": "{data}", '
          f'"impl": "{name}", "metric": "p99 ms", "value": {p99}, "predict_s": {p99 / 1e3}, '
          f'"threads": {THREADS}}}', flush=True)
    print(f"bench_serve: {name}: {rps:.0f} req/s, p50 {p50:.3f} ms, p99 {p99:.3f} ms",
          file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cml", required=True)
    p.add_argument("--build", required=False)
    p.add_argument("--seconds", type=int, default=10)
    a = p.parse_args()
    if not shutil.which("wrk"):
        print("bench_serve: wrk not installed (apt-get install wrk); skipped", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        lua = os.path.join(tmp, "post.lua")
        with open(lua, "w") as f:
            f.write(LUA % ",".join(map(str, ROW)))
        try:
            import fastapi
            import uvicorn  # noqa: F401
            import sklearn
            have_ref = True
        except ImportError:
            print("bench_serve: python3-fastapi/python3-uvicorn missing; reference skipped",
                  file=sys.stderr)
            have_ref = False
        for label, cml_args, sk_import, sk_ctor in MODELS:
            model = os.path.join(tmp, "model.gguf")
            subprocess.run([a.cml, "fit", *cml_args, "--data", IRIS, "--model", model, "--quiet"],
                           check=True, capture_output=True)
            port = free_port()
            bench("cml", [a.cml, "serve", "--model", f"iris={model}", "--port", str(port),
                          "--threads", str(THREADS)], port, lua, a.seconds, label)
            if not have_ref:
                continue
            with open(os.path.join(tmp, "app.py"), "w") as f:
                f.write(APP % (sk_import, os.path.abspath(IRIS), sk_ctor))
            port = free_port()
            env_cmd = ["/usr/bin/python3", "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
                       "--port", str(port), "--workers", str(THREADS), "--log-level", "warning",
                       "--no-access-log"]
            bench(f"FastAPI {fastapi.__version__} + uvicorn + scikit-learn {sklearn.__version__}",
                  env_cmd, port, lua, a.seconds, label, cwd=tmp)


if __name__ == "__main__":
    main()
