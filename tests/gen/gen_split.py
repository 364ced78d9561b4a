"""Golden data for tests/unit/test_split.c (scikit-learn 1.2.1).

Stratified train/test split: sklearn's per-class counts depend on its RNG
only where _approximate_mode breaks a tie at random, so for each data set and
test_size we record, over 300 random_states, the min and max count of every
class in train and in test (min == max where no tie is involved), plus the
split sizes. StratifiedKFold / KFold without shuffle are deterministic: we
record the fold of every sample, and for shuffled StratifiedKFold the
per-fold class counts (independent of the shuffle).

Run from the repo root: /usr/bin/python3 tests/gen/gen_split.py
"""
import sys

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

g = Golden("tests/golden/split.txt", __doc__)
for name in ["iris", "wine", "breast_cancer", "digits"]:
    X, y, _ = load_csv(name)
    n = len(y)
    classes = np.unique(y)
    g.put(f"{name}_y", y)
    if name != "digits":
        for ts in (0.25, 0.3):
            tr_counts, te_counts = [], []
            for rs in range(300):
                tr, te = train_test_split(np.arange(n), test_size=ts, stratify=y, random_state=rs)
                tr_counts.append([np.sum(y[tr] == c) for c in classes])
                te_counts.append([np.sum(y[te] == c) for c in classes])
            tr_counts, te_counts = np.array(tr_counts), np.array(te_counts)
            key = f"{name}_{int(ts * 100)}"
            g.put(f"{key}_sizes", [len(tr), len(te)])
            g.put(f"{key}_train_min", tr_counts.min(0))
            g.put(f"{key}_train_max", tr_counts.max(0))
            g.put(f"{key}_test_min", te_counts.min(0))
            g.put(f"{key}_test_max", te_counts.max(0))
    for k in (3, 5, 7):
        folds = np.empty(n)
        for f, (_, te) in enumerate(StratifiedKFold(n_splits=k).split(X, y)):
            folds[te] = f
        g.put(f"{name}_skf{k}", folds)
        counts = np.zeros((k, len(classes)))
        for f, (_, te) in enumerate(StratifiedKFold(n_splits=k, shuffle=True,
                                                    random_state=0).split(X, y)):
            counts[f] = [np.sum(y[te] == c) for c in classes]
        g.put(f"{name}_skf{k}_counts", counts)
        folds = np.empty(n)
        for f, (_, te) in enumerate(KFold(n_splits=k).split(X)):
            folds[te] = f
        g.put(f"{name}_kf{k}", folds)

# Plain split sizes: ceil for the test fraction, as sklearn.
sizes = []
for n in (10, 11, 100, 150, 569):
    for ts in (0.1, 0.25, 0.3, 0.33, 0.5, 0.9):
        tr, te = train_test_split(np.arange(n), test_size=ts, random_state=0)
        sizes.append([n, ts, len(tr), len(te)])
g.put("plain_sizes", sizes)
g.close()
