"""cml vs scikit-learn 1.2.1 for clustering and dimensionality reduction, same data, same run.

Rows (each: cml, then the reference, on the same float64 matrix, 2 threads each):
  - KMeans, Fashion-MNIST 60000x784 (pixels / 255), k=10 -> inertia: Lloyd and Elkan from the
    same initial centres (the same iterations on both sides), then each side's own k-means++
    seeding with n_init=1 over 7 random_state values (iteration counts differ with the seed:
    the row is the median time and the mean inertia; each seed's count is in the notes)
  - PCA, Fashion-MNIST 60000x784, 50 components: each side's 'auto' solver, then both
    randomized (like for like) -> explained variance ratio (sum), solver and the principal
    angles to the exact 50-dimensional subspace in the note
  - t-SNE (Barnes-Hut, init=pca, learning_rate=auto) on digits 1797x64 and on a 5000-row
    Fashion-MNIST sample -> trustworthiness (k=5) of each embedding, KL in the note
  - DBSCAN on the 2-D and 10-D PCA projections of Fashion-MNIST 60000 -> ARI of cml's labels
    vs scikit-learn's (1.0 = the same partition); the reference row holds 1.0 by definition

  - NN-descent kNN graph (UMAP's for n >= 4096), Fashion-MNIST 10000x784, k=14 -> recall vs the
    exact kNN; the reference row is scikit-learn's exact NearestNeighbors (brute force) search

cml is timed in-process by bench/bench_cluster (best of N fits, no parsing: the matrix
travels as raw float64), the reference around .fit() (best of N). Rows also carry cpu_s, the
process CPU seconds of the fit on each side, steadier than wall time on a shared machine. This script supersedes the
`kmeans` and `pca` rows of bench/bench_estimators.py (fashion-20k 15000x784).
"""
import json
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import numpy as np  # noqa: E402
from sklearn import cluster, decomposition, manifold, metrics, neighbors  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-cluster-")
REF = common.sklearn_version()
T = common.THREADS
ROOT = os.path.join(os.path.dirname(__file__), "..", "data")
ONLY = os.environ.get("BENCH_CLUSTER_ONLY", "")  # e.g. "kmeans,tsne" while tuning
REF_NOTE = "reference ran with OPENBLAS_CORETYPE=SkylakeX (its fast kernels) and 2 threads"
SEEDS = list(range(7))  # random_state values of the k-means++ rows (both sides)


def cml_run(algo, X, params, repeats):
    """Fits cml on X (best of `repeats`); returns (fit_s, quality dict, output matrix)."""
    X = np.ascontiguousarray(X, np.float64)
    src, dst = os.path.join(tmp, "X.f64"), os.path.join(tmp, "out.f64")
    X.tofile(src)
    cmd = [os.path.join(a.build, "bench", "bench_cluster"), algo, src, str(X.shape[0]),
           str(X.shape[1]), str(repeats), dst] + [f"{k}={v}" for k, v in params.items()]
    r = common.run(cmd, capture_output=True, text=True,
                       env=dict(os.environ, CML_NUM_THREADS=str(T)))
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
    row = json.loads(r.stdout)
    out = np.fromfile(dst, np.float64).reshape(X.shape[0], row["cols"])
    CPU["cml"] = row["cpu_s"]
    return row["fit_s"], row["quality"], out, row["blas"]


CPU = {}  # CPU seconds of the last timed fit on each side (all threads)


def best_of(fn, repeat):
    """common.best_of, plus the least process CPU time (all threads) of the runs."""
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    CPU["ref"] = cpu
    return best, out


def pair(task, data, metric, ours, ref, blas, note_cml="", note_ref=""):
    # cpu_s: process CPU seconds of the fit (all threads), steadier than wall time on a shared
    # machine; report.py shows fit_s
    common.emit(bench="cluster", task=task, data=data, impl="cml", metric=metric, value=ours[1],
                fit_s=ours[0], cpu_s=CPU.get("cml"), predict_s=None, blas=blas,
                note=note_cml or None)
    common.emit(bench="cluster", task=task, data=data, impl=REF, metric=metric, value=ref[1],
                fit_s=ref[0], cpu_s=CPU.get("ref"), predict_s=None, note=note_ref or REF_NOTE)


def want(name):
    return not ONLY or name in ONLY.split(",")


Xf, yf = common.fashion_mnist("train")
fm = f"fashion-mnist {Xf.shape[0]}x{Xf.shape[1]}"

if want("kmeans"):
    # Like for like: both sides start from the same k-means++ centres (sklearn's seeding, seed
    # 0), so they run the same iterations to the same optimum; then each side's own seeding.
    C0 = cluster.kmeans_plusplus(Xf, 10, random_state=0)[0]
    init = os.path.join(tmp, "init.f64")
    C0.tofile(init)
    for algo in ["lloyd", "elkan"]:
        p = {"n_clusters": 10, "algorithm": algo, "init_file": init}
        t, q, lab, blas = cml_run("kmeans", Xf, p, 2)
        rt, km = best_of(lambda: cluster.KMeans(10, init=C0, n_init=1,
                                                       algorithm=algo).fit(Xf), 2)
        pair(f"kmeans k=10 {algo}, same initial centres", fm, "inertia", (t, q["inertia"]),
             (rt, km.inertia_), blas,
             f"{q['n_iter']} iterations; labels agree with sklearn's on "
             f"{(lab[:, 0] == km.labels_).mean():.6f} of rows",
             f"{km.n_iter_} iterations; {REF_NOTE}")
    # Each side's own k-means++ seeding: the run time then depends on how many iterations that
    # seeding leaves (one seed gave cml 89 iterations and sklearn 44; another 27 and 36), so a
    # single seed compares luck, not speed. Both sides run the same SEEDS random_state values;
    # the row reports the median fit time (and median CPU seconds) and the mean inertia.
    for algo in ["lloyd", "elkan"]:
        ours, ref = [], []
        for s in SEEDS:
            p = {"n_clusters": 10, "n_init": 1, "random_state": s, "algorithm": algo}
            t, q, lab, blas = cml_run("kmeans", Xf, p, 1)
            ours.append((t, CPU["cml"], q["inertia"], q["n_iter"],
                         metrics.adjusted_rand_score(yf, lab[:, 0])))
            rt, km = best_of(lambda: cluster.KMeans(10, n_init=1, random_state=s,
                                                           algorithm=algo).fit(Xf), 1)
            ref.append((rt, CPU["ref"], km.inertia_, km.n_iter_,
                        metrics.adjusted_rand_score(yf, km.labels_)))
        med = lambda rows, i: float(np.median([r[i] for r in rows]))  # noqa: E731
        mean = lambda rows, i: float(np.mean([r[i] for r in rows]))  # noqa: E731
        its = lambda rows: ",".join(str(r[3]) for r in rows)  # noqa: E731
        CPU["cml"], CPU["ref"] = med(ours, 1), med(ref, 1)
        what = (f"median time and mean inertia over random_state={SEEDS[0]}..{SEEDS[-1]}, "
                "each side its own seeding")
        pair(f"kmeans k=10 {algo}, k-means++ n_init=1", fm, "inertia (mean)",
             (med(ours, 0), mean(ours, 2)), (med(ref, 0), mean(ref, 2)), blas,
             f"{what}; iterations {its(ours)} (mean {mean(ours, 3):.1f}); "
             f"mean ARI vs the true labels {mean(ours, 4):.4f}",
             f"{what}; iterations {its(ref)} (mean {mean(ref, 3):.1f}); "
             f"mean ARI vs the true labels {mean(ref, 4):.4f}; {REF_NOTE}")

if want("pca"):
    # Quality beyond the variance sum: the principal angles between each side's 50 components
    # and the exact leading 50-dimensional subspace (eigenvectors of the covariance), median
    # and largest (the largest is the 50th direction, mixed with the 51st: over random_state
    # 0..4 it ranged 11-23 deg for cml and 10-17 deg for sklearn, the medians 0.0007-0.0009 deg
    # on both sides). cml's components are recovered from its transform Z = Xc V^T.
    from scipy.linalg import subspace_angles
    Xc = Xf - Xf.mean(axis=0)
    Cov = Xc.T @ Xc
    exact = np.linalg.eigh(Cov)[1][:, ::-1][:, :50]

    def angle(V):  # V (784, 50) -> "median / largest" principal angle in degrees
        a = np.degrees(subspace_angles(V, exact))
        return f"median {np.median(a):.2g} / largest {a.max():.3g} deg"

    for solver in ["auto", "randomized"]:
        p = {"n_components": 50, "svd_solver": solver}
        t, q, Z, blas = cml_run("pca", Xf, p, 3)
        rt, pc = best_of(lambda: decomposition.PCA(50, svd_solver=solver,
                                                          random_state=0).fit(Xf), 3)
        ours_V = np.linalg.lstsq(Cov, Xc.T @ Z, rcond=None)[0]
        ref_solver = pc._fit_svd_solver
        pair(f"pca 50 svd_solver={solver}", fm, "explained_variance_ratio",
             (t, q["explained_variance_ratio"]), (rt, float(pc.explained_variance_ratio_.sum())),
             blas, f"solver used: {q['solver']}; principal angles to the exact subspace: "
             f"{angle(ours_V)}",
             f"solver used: {ref_solver}; principal angles to the exact subspace: "
             f"{angle(pc.components_.T)}; {REF_NOTE}")

if want("tsne"):
    d = np.loadtxt(os.path.join(ROOT, "digits.csv"), delimiter=",", skiprows=1)[:, :-1]
    for name, X in [(f"digits {d.shape[0]}x{d.shape[1]}", d),
                    ("fashion-mnist 5000x784", Xf[:5000])]:
        t, q, emb, blas = cml_run("tsne", X, {"random_state": 0}, 1)
        ts = lambda: manifold.TSNE(2, init="pca", learning_rate="auto", random_state=0,
                                   n_jobs=T).fit(X)  # noqa: E731
        rt, ref = best_of(ts, 1)
        ours_tw = manifold.trustworthiness(X, emb, n_neighbors=5)
        ref_tw = manifold.trustworthiness(X, ref.embedding_, n_neighbors=5)
        pair("tsne barnes_hut", name, "trustworthiness@5", (t, ours_tw), (rt, ref_tw), blas,
             f"KL {q['kl_divergence']:.4f} after {q['n_iter']} iterations",
             f"KL {ref.kl_divergence_:.4f} after {ref.n_iter_} iterations; {REF_NOTE}")

if want("dbscan"):
    for dim, eps in [(2, 0.1), (10, 1.0)]:
        Z = decomposition.PCA(dim, random_state=0).fit_transform(Xf)
        p = {"eps": eps, "min_samples": 10}
        t, q, lab, blas = cml_run("dbscan", Z, p, 2)
        rt, db = best_of(lambda: cluster.DBSCAN(eps=eps, min_samples=10, n_jobs=T).fit(Z), 2)
        ari = metrics.adjusted_rand_score(db.labels_, lab[:, 0])
        pair(f"dbscan eps={eps} min_samples=10", f"fashion-mnist PCA-{dim} {Z.shape[0]}x{dim}",
             "ARI vs sklearn labels", (t, ari), (rt, 1.0), blas,
             f"{q['n_clusters']} clusters, {int((lab[:, 0] == -1).sum())} noise",
             f"{db.labels_.max() + 1} clusters, {int((db.labels_ == -1).sum())} noise; "
             f"kd-tree region queries; {REF_NOTE}")

if want("nn_descent"):
    X = Xf[:10000]
    k = 14
    t, q, got, blas = cml_run("nn_descent", X, {"k": k}, 1)
    rt, ex = best_of(lambda: neighbors.NearestNeighbors(n_neighbors=k, n_jobs=T).fit(X)
                     .kneighbors(return_distance=False), 1)
    rec = np.mean([len(set(got[i].astype(int)) & set(ex[i])) / k for i in range(len(X))])
    pair(f"knn graph k={k} (UMAP)", "fashion-mnist 10000x784", "recall@k", (t, rec), (rt, 1.0),
         blas, f"NN-descent, {q['n_iter']} iterations", f"exact NearestNeighbors; {REF_NOTE}")
