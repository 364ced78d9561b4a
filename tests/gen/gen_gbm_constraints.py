"""Golden models for monotone and interaction constraints in src/ensemble/gbm_tree.c:
XGBoost 1.7.4 (tree_method="hist", nthread=2, seed=0) trained with constraints on
real data, saved with save_model() into tests/golden/xgb_cons_<case>.json, and
their training-set margins into tests/golden/gbm_constraints.txt. The C test
(tests/unit/test_golden_gbm_constraints.c) fits cml with the same parameters and
compares every tree node by node with the imported XGBoost model.

Run from the repository root with /usr/bin/python3:
    /usr/bin/python3 tests/gen/gen_gbm_constraints.py

max_bin=1024 exceeds every feature's number of distinct values, so the cuts are
the values themselves and the trees are determined by the split rule alone.
"""
import numpy as np
import xgboost as xgb

from golden import Golden, load_csv

assert xgb.__version__ == "1.7.4", xgb.__version__

CASES = {
    # name: (dataset, params, rounds)
    "mono_diab": ("diabetes", dict(objective="reg:squarederror", max_depth=4,
                                   monotone_constraints="(0,0,1,1,0,0,-1,0,1,0)"), 20),
    "mono_bc": ("breast_cancer", dict(objective="binary:logistic", max_depth=3,
                                      monotone_constraints="(-1,0,0,0,0,0,0,-1,0,0,0,0,0,0,0,"
                                                           "0,0,0,0,0,-1,-1)"), 15),
    "inter_diab": ("diabetes", dict(objective="reg:squarederror", max_depth=4,
                                    interaction_constraints="[[2,8],[0,3,6],[1,9]]"), 20),
    "both_diab": ("diabetes", dict(objective="reg:squarederror", max_depth=5, eta=0.1,
                                   monotone_constraints="(0,0,1,1,0,0,-1,0,1,0)",
                                   interaction_constraints="[[2,3,8],[0,6]]"), 20),
}


def main():
    g = Golden("tests/golden/gbm_constraints.txt", __doc__)
    for name, (data, params, rounds) in CASES.items():
        X, y, _ = load_csv(data)
        p = dict(tree_method="hist", nthread=2, seed=0, max_bin=1024)
        p.update(params)
        dm = xgb.DMatrix(X, label=y)
        b = xgb.train(p, dm, rounds)
        b.save_model(f"tests/golden/xgb_cons_{name}.json")
        g.put(f"{name}.margin", b.predict(dm, output_margin=True))
    g.close()


if __name__ == "__main__":
    main()
