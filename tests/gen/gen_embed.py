"""Golden values for t-SNE, UMAP helpers and trustworthiness (tests/golden/embed.txt).

Run from the repo root with Debian's Python: /usr/bin/python3 tests/gen/gen_embed.py
scikit-learn 1.2.1, scipy. umap-learn is not packaged in Debian, so UMAP is
checked against its curve fit only (scipy's curve_fit on umap-learn's grid)
and an absolute trustworthiness bar in the test.
"""
import sys

import numpy as np
from scipy.optimize import curve_fit
from scipy.spatial.distance import pdist, squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold import _utils
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, "tests/gen")
from golden import Golden, load_csv  # noqa: E402

X, y, _ = load_csv("digits")
g = Golden("tests/golden/embed.txt", __doc__)

# ---- trustworthiness of a fixed embedding (sklearn's PCA of 500 digits)
sub = X[:500]
E = PCA(n_components=2, svd_solver="full").fit_transform(sub)
g.put("tw_X_rows", [500])
g.put("tw_E", E)
for k in (5, 12):
    g.put(f"tw_k{k}", [trustworthiness(sub, E, n_neighbors=k)])

# ---- the same on continuous data (no distance ties, where sklearn's argsort
# order among equal distances cannot be reproduced): 200 x 8 Gaussian
rng = np.random.RandomState(0)
Xc = rng.standard_normal((200, 8)) * np.linspace(1, 3, 8)
Ec = PCA(n_components=2, svd_solver="full").fit_transform(Xc)
g.put("twc_X", Xc)
g.put("twc_E", Ec)
g.put("twc_k7", [trustworthiness(Xc, Ec, n_neighbors=7)])

# ---- perplexity search: kNN rows (k = 31) and dense rows, float32 inputs as sklearn
Xs = X[:60]
nn = NearestNeighbors(n_neighbors=31).fit(Xs)
d, _ = nn.kneighbors()
sq = (d ** 2).astype(np.float32)
g.put("perp_knn_sqdist", sq.astype(np.float64))
g.put("perp_knn_P", _utils._binary_search_perplexity(sq, 10.0, 0))
Xd = X[:40]
sqd = squareform(pdist(Xd, "sqeuclidean")).astype(np.float32)
g.put("perp_dense_sqdist", sqd.astype(np.float64))
g.put("perp_dense_P", _utils._binary_search_perplexity(sqd, 10.0, 0))
g.put("joint_dense_P", squareform(_joint_probabilities(sqd, 10.0, 0)))

# ---- t-SNE on digits: Barnes-Hut on all 1797 rows, exact on the first 300
tb = TSNE(random_state=0)
Eb = tb.fit_transform(X)
g.put("tsne_bh_kl", [tb.kl_divergence_])
g.put("tsne_bh_tw5", [trustworthiness(X, Eb, n_neighbors=5)])
g.put("tsne_bh_lr", [tb.learning_rate_])
te = TSNE(random_state=0, method="exact")
Ee = te.fit_transform(X[:300])
g.put("tsne_exact_kl", [te.kl_divergence_])
g.put("tsne_exact_tw5", [trustworthiness(X[:300], Ee, n_neighbors=5)])

# ---- UMAP's a, b (umap-learn's find_ab_params)
def find_ab_params(spread, min_dist):
    def curve(x, a, b):
        return 1.0 / (1.0 + a * x ** (2 * b))

    xv = np.linspace(0, spread * 3, 300)
    yv = np.zeros(xv.shape)
    yv[xv < min_dist] = 1.0
    yv[xv >= min_dist] = np.exp(-(xv[xv >= min_dist] - min_dist) / spread)
    params, _ = curve_fit(curve, xv, yv)
    return params[0], params[1]

ab = [[s, m, *find_ab_params(s, m)] for s, m in
      [(1.0, 0.1), (1.0, 0.001), (1.0, 0.5), (1.0, 1.0), (2.0, 0.25), (0.5, 0.05)]]
g.put("umap_ab", ab)
g.close()
