"""cml vs scikit-learn vs the liblinear / libsvm command-line tools: text classification on
SpamAssassin TF-IDF, and kernel SVC on dense data.

Text: data/text/spam.csv (2,200 mails), the split of tests/gen/gen_text_models.py
(RandomState(0) permutation; 1,650 train / 550 test). cml runs end to end from the command line
(`cml fit --text text`, `cml eval` for the accuracy, `cml predict` for the time; best of 3): its
fit_s / predict_s are the estimator's own time from --json (the TfidfVectorizer, fitted in the same command, is timed apart as vectorize_seconds and
reported in the note). scikit-learn gets TfidfVectorizer() matrices (identical to cml's: see
tests/unit/test_golden_text.c) and is timed around .fit() / .predict() (best of 3). liblinear's
`liblinear-train` / `liblinear-predict` (Debian liblinear-tools) read the same matrices written
in LIBSVM format; their times are the wall time of the whole process, reading the file included
(about 1 ms per 10k non-zeros here), so they overstate liblinear's solver time a little.
Parameters: LinearSVC = L2-regularized squared hinge, dual CD, C=1, tol=1e-4, bias feature 1
(liblinear -s 1 -c 1 -e 0.0001 -B 1); LinearSVC l1 = penalty="l1", dual=False (liblinear -s 5,
primal coordinate descent; the liblinear CLI scales -e by the minority share as sklearn does);
logistic regression C=1 (sklearn/cml lbfgs with an
unregularized intercept; liblinear -s 0 (its trust-region Newton primal solver) -B 1, which
regularizes the bias: not the identical objective, listed for speed); MultinomialNB alpha=1.

Kernel SVC: cml `svc` vs libsvm's `svm-train` / `svm-predict` (Debian libsvm-tools) on digits
(1,347 / 450, pixels / 16) and two Fashion-MNIST subsets (6,000 images, 4,500 / 1,500, and
14,000 images, 10,500 / 3,500; pixels / 255): RBF, C=10, gamma = 1 / (n_features * X.var()) (sklearn's "scale", passed as a number to
both), tol=1e-3 (-e 0.001), cache 200 MB (-m 200), shrinking on (-h 1). cml is timed in-process
by bench/bench_fit (one run: SVC fits are long); libsvm by process wall time, one run (reading
its 41 MB fashion-6k file plus a trivial fit, measured with -e 1e9, take 0.9 s of its ~20 s).
libsvm is single-threaded; cml uses BENCH_THREADS threads.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402  (sets BLAS threads before numpy loads)

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.naive_bayes import MultinomialNB  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

warnings.filterwarnings("ignore")
a = common.args()
tmp = tempfile.mkdtemp(prefix="cml-bench-text-")
REF = common.sklearn_version()
ROOT = os.path.join(os.path.dirname(__file__), "..", "data")
SPAM = "spam TF-IDF 1650/550"


def wall(cmd):
    """Wall seconds of a command (best of 3) and its stdout."""
    best, out = float("inf"), ""
    for _ in range(3):
        t = time.perf_counter()
        r = common.run(cmd, capture_output=True, text=True)
        best = min(best, time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
        out = r.stdout
    return best, out


def write_libsvm(path, X, y):
    """LIBSVM format (1-based ascending indices, %.17g) from a CSR or dense matrix."""
    import scipy.sparse as sp
    X = sp.csr_matrix(X, copy=True)
    X.sort_indices()  # liblinear / libsvm need ascending indices
    with open(path, "w") as f:
        for i in range(X.shape[0]):
            a0, a1 = X.indptr[i], X.indptr[i + 1]
            cells = " ".join(f"{j + 1}:{v:.17g}" for j, v in zip(X.indices[a0:a1], X.data[a0:a1]))
            f.write(f"{int(y[i])} {cells}\n")


def liblinear_rows(task, solver_args, tr, te, yte):
    model, pred = os.path.join(tmp, "ll.model"), os.path.join(tmp, "ll.pred")
    fit_s, _ = wall(["liblinear-train", "-q", *solver_args, tr, model])
    pred_s, _ = wall(["liblinear-predict", te, model, pred])
    p = np.loadtxt(pred)
    common.emit(bench="text", task=f"{task} vs liblinear CLI", data=SPAM, impl="liblinear 2.3.0 CLI",
                metric="accuracy", value=float(np.mean(p == yte)), fit_s=fit_s, predict_s=pred_s,
                threads=1, note="liblinear CLI times: process wall time, reading its LIBSVM file included")


def text():
    with open(os.path.join(ROOT, "text", "spam.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    perm = np.random.RandomState(0).permutation(len(rows))
    tr, te = perm[:1650], perm[1650:]
    paths = {}
    for name, idx in (("train", tr), ("test", te)):
        paths[name] = os.path.join(tmp, f"spam_{name}.csv")
        with open(paths[name], "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            for i in idx:
                w.writerow([rows[i]["text"], rows[i]["label"]])
    docs = [r["text"] for r in rows]
    y = np.array([r["label"] == "spam" for r in rows], dtype=np.float64)
    tv = TfidfVectorizer()
    t = time.perf_counter()
    Xtr = tv.fit_transform([docs[i] for i in tr])
    sk_vec_s = time.perf_counter() - t
    Xte = tv.transform([docs[i] for i in te])
    ytr, yte = y[tr], y[te]
    lltr, llte = os.path.join(tmp, "tr.libsvm"), os.path.join(tmp, "te.libsvm")
    write_libsvm(lltr, Xtr, ytr)
    write_libsvm(llte, Xte, yte)

    cases = [
        ("linear_svc", "linear_svc", [], lambda: LinearSVC(random_state=0),
         ["-s", "1", "-c", "1", "-e", "0.0001", "-B", "1"]),
        ("linear_svc l1", "linear_svc", ["--param", "penalty=l1", "--param", "dual=false"],
         lambda: LinearSVC(penalty="l1", dual=False, random_state=0),
         ["-s", "5", "-c", "1", "-e", "0.0001", "-B", "1"]),
        ("multinomial_nb", "multinomial_nb", [], lambda: MultinomialNB(), None),
        ("logistic_regression", "logistic_regression", [], lambda: LogisticRegression(),
         ["-s", "0", "-c", "1", "-B", "1"]),
    ]
    for task, algo, params, make, ll_args in cases:
        model = os.path.join(tmp, f"{algo}.gguf")
        fits = [common.cml(a.cml, "fit", "--algo", algo, "--data", paths["train"], "--target", "label",
                           "--text", "text", "--model", model, *params) for _ in range(3)]
        fit = min(fits, key=lambda r: r["fit_seconds"])
        ev = common.cml(a.cml, "eval", "--model", model, "--data", paths["test"], "--metric", "accuracy")
        # predict time from `cml predict` (labels only, as sklearn's .predict(); eval adds
        # predict_proba for models that have it)
        pr = min((common.cml(a.cml, "predict", "--model", model, "--data", paths["test"], "--out",
                             os.path.join(tmp, "pred.csv")) for _ in range(3)),
                 key=lambda r: r["predict_seconds"])
        row = dict(bench="text", task=task, data=SPAM, impl="cml", metric="accuracy",
                   value=ev["metrics"]["accuracy"], fit_s=fit["fit_seconds"], predict_s=pr["predict_seconds"],
                   blas="n/a (sparse)")
        if task == cases[0][0]:  # one note (each case re-vectorizes the same mails)
            row["note"] = (f"cml TfidfVectorizer fit+transform {fit['vectorize_seconds'] * 1e3:.0f} ms "
                           f"(scikit-learn {sk_vec_s * 1e3:.0f} ms) on the 1650 training mails")
        common.emit(**row)
        m = make()
        fit_s, _ = common.best_of(lambda: m.fit(Xtr, ytr))
        pred_s, p = common.best_of(lambda: m.predict(Xte))
        common.emit(bench="text", task=task, data=SPAM, impl=REF, metric="accuracy",
                    value=float(np.mean(p == yte)), fit_s=fit_s, predict_s=pred_s)
        if ll_args:
            common.emit(**dict(row, task=f"{task} vs liblinear CLI"))
            liblinear_rows(task, ll_args, lltr, llte, yte)


def dense_sets():
    t = np.loadtxt(os.path.join(ROOT, "digits.csv"), delimiter=",", skiprows=1)
    yield "digits", common.split(t[:, :-1] / 16.0, t[:, -1])
    X, y = common.fashion_mnist("train", 6000)
    yield "fashion-6k", common.split(X, y)
    X, y = common.fashion_mnist("train", 14000)  # the ">= 10k rows" case: 10,500 to train
    yield "fashion-14k", common.split(X, y)


def svc():
    for name, (Xtr, ytr, Xte, yte) in dense_sets():
        gamma = 1.0 / (Xtr.shape[1] * Xtr.var())
        ctr, cte = os.path.join(tmp, f"{name}_tr.csv"), os.path.join(tmp, f"{name}_te.csv")
        common.write_csv(ctr, Xtr, ytr)
        common.write_csv(cte, Xte, yte)
        params = {"C": 10, "gamma": repr(gamma), "tol": 0.001, "cache_size": 200, "shrinking": "true"}
        r = common.cml_fit(a.build, "svc", ctr, cte, "accuracy", params, repeats=1)
        r.update(bench="text", task="svc rbf vs libsvm CLI", data=name, impl="cml")
        common.emit(**r)
        ltr, lte = os.path.join(tmp, f"{name}_tr.libsvm"), os.path.join(tmp, f"{name}_te.libsvm")
        write_libsvm(ltr, Xtr, ytr)
        write_libsvm(lte, Xte, yte)
        model, pred = os.path.join(tmp, "svm.model"), os.path.join(tmp, "svm.pred")
        t = time.perf_counter()
        subprocess.run(["svm-train", "-q", "-s", "0", "-t", "2", "-c", "10", "-g", repr(gamma), "-e", "0.001",
                        "-m", "200", "-h", "1", ltr, model], check=True)
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run(["svm-predict", "-q", lte, model, pred], check=True, capture_output=True)
        pred_s = time.perf_counter() - t
        p = np.loadtxt(pred)
        common.emit(bench="text", task="svc rbf vs libsvm CLI", data=name, impl="libsvm 3.24 CLI",
                    metric="accuracy", value=float(np.mean(p == yte)), fit_s=fit_s, predict_s=pred_s,
                    threads=1, note="libsvm CLI times: process wall time (one run), reading its file "
                                    "included (fashion-6k: 0.9 s of it); libsvm is single-threaded")


if __name__ == "__main__":
    for tool in ("liblinear-train", "svm-train"):
        if not shutil.which(tool):
            sys.exit(f"bench_text: {tool} not found. HINT: scripts/deps --bench installs "
                     "libsvm-tools and liblinear-tools")
    text()
    svc()
    shutil.rmtree(tmp, ignore_errors=True)
