/*
 * gbm_tree.c — growing one regression tree on gradient histograms, as
 * XGBoost 1.7's `hist` updater (QuantileHistMaker + HistEvaluator + Driver).
 *
 * For a node with sums (G, H) and a candidate left child (G_L, H_L), right
 * (G_R, H_R) = parent - left, the loss change is (param.h, evaluator):
 *     chg = gain(G_L, H_L) + gain(G_R, H_R) - gain(G, H)
 *     gain(G, H) = T(G)^2 / (H + lambda),  T(G) = sign(G) max(|G| - alpha, 0)
 * (with max_delta_step > 0: -(2 G w + (H + lambda) w^2), w the clipped
 * weight). Both children need H >= min_child_weight. Per feature the bins
 * are scanned forward (missing values go right) and, when the node has
 * missing values for it, backward (missing go left): XGBoost's
 * EnumerateSplit<+1> / <-1>, with its tie rule (a lower feature index wins
 * ties). A split is made if chg > 1e-6, chg >= gamma and both children have
 * H > 0, within max_depth / max_leaves. Leaf weight (param.h CalcWeight):
 *     w = -T(G) / (H + lambda), clipped to +-max_delta_step, 0 if H < mcw.
 *
 * Growth: depthwise pops candidates level by level in node-id order;
 * lossguide pops the largest loss change first (ties: older node), as
 * XGBoost's Driver. After a split only the child with fewer rows gets a
 * histogram pass; the other is parent - child.
 *
 * Complexity per tree: O(depth * n * features) for histograms (n/2 per level
 * thanks to subtraction) + O(nodes * bins) for split search.
 * Thread-safety: a grower is single-user scratch; results are independent of
 * the thread count (fixed-order sums, stable partitions).
 */
#include <math.h>
#include <string.h>

#include "core/internal.h"
#include "ensemble/gbm_internal.h"

#define RT_EPS 1e-6
/* Rows per partition chunk; fixed, so the partition is thread-count free.
 * Nodes below PART_PAR_MIN rows (and split searches below EVAL_PAR_MIN
 * slots) run on one thread: a fork/join costs more than the work. */
#define PART_CHUNK   16384
#define PART_PAR_MIN ((int64_t)1 << 18)
#define EVAL_PAR_MIN (1 << 16)

typedef struct gbm_split {
    double loss_chg;
    int32_t feature;
    int32_t tbin;
    int default_left;
    double GL, HL, GR, HR;
} gbm_split;

typedef struct cand {
    int32_t node;
    double *hist;
    gbm_split s;
} cand;

struct gbm_grower {
    const gbm_binned *b;
    const cml_gbm_params *p;
    int32_t *rows, *tmp; /* (b->rows) */
    int64_t *chunk_left; /* partition counts per chunk */
    double **free_hist;  /* pool of histogram buffers (2 n_slots doubles each) */
    int n_free, cap_free;
    double **all_hist; /* every buffer ever made, for freeing */
    int n_all, cap_all;
    uint8_t *node_use;  /* (cols) */
    uint8_t *tree_act;  /* (cols) the tree's features that can split */
    int32_t *feat_list; /* (cols) */
    gbm_split *fbest;   /* (cols) */
    cand *queue;
    int n_queue, cap_queue;
};

/* ---------------------------------------------------------------- XGBoost's param.h */

static inline double threshold_l1(double w, double alpha)
{
    if (w > alpha) return w - alpha;
    if (w < -alpha) return w + alpha;
    return 0.0;
}

double gbm_calc_weight(const cml_gbm_params *p, double G, double H)
{
    if (H < p->min_child_weight || H <= 0.0) return 0.0;
    double dw = -threshold_l1(G, p->reg_alpha) / (H + p->reg_lambda);
    if (p->max_delta_step != 0.0 && fabs(dw) > p->max_delta_step)
        dw = copysign(p->max_delta_step, dw);
    return dw;
}

double gbm_calc_gain(const cml_gbm_params *p, double G, double H)
{
    if (H <= 0.0) return 0.0;
    if (p->max_delta_step == 0.0) {
        double t = threshold_l1(G, p->reg_alpha);
        return t * t / (H + p->reg_lambda);
    }
    /* XGBoost evaluates this branch in float (CalcGainGivenWeight<float>);
     * with clipped weights many candidates nearly tie, so its rounding
     * decides which split wins. */
    float w = (float)gbm_calc_weight(p, G, H), g = (float)G, h = (float)H;
    return -(2.0f * g * w + (h + (float)p->reg_lambda) * (w * w));
}

/* SplitEntry::NeedReplace: a lower feature index wins ties. */
static inline int need_replace(const gbm_split *cur, double loss, int32_t f)
{
    if (isinf(loss)) return 0;
    if (cur->feature <= f) return loss > cur->loss_chg;
    return !(cur->loss_chg > loss);
}

static inline void update(gbm_split *s, double loss, int32_t f, int32_t t, int dl, double GL,
                          double HL, double GR, double HR)
{
    if (!need_replace(s, loss, f)) return;
    s->loss_chg = loss;
    s->feature = f;
    s->tbin = t;
    s->default_left = dl;
    s->GL = GL;
    s->HL = HL;
    s->GR = GR;
    s->HR = HR;
}

/* Bins per pass of the split scan: prefix sums, then the gains of the
 * whole chunk in one loop the compiler vectorizes, then a (rarely taken)
 * update pass. Identical arithmetic to a scalar scan, element by element. */
#define SCAN_CHUNK 256

/* -fno-trapping-math lets GCC if-convert the guarded divisions below (FP
 * traps are never enabled by cml); it changes no result, unlike
 * -ffast-math, and these loops have no multiply-add for contraction. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_TRAP __attribute__((optimize("no-trapping-math")))
#else
#define NO_TRAP
#endif

/* gain() of param.h with max_delta_step == 0, branch-free for vectors. */
NO_TRAP static inline double gain_plain(double G, double H, double alpha, double lambda)
{
    /* Everything computed unconditionally, then selected: without
     * -ffast-math the compiler only vectorizes selects, not guarded math. */
    double dn = G - alpha, up = G + alpha;
    double t = G > alpha ? dn : (G < -alpha ? up : 0.0);
    double q = t * t / (H + lambda);
    return H <= 0.0 ? 0.0 : q;
}

/* Loss changes of a chunk: acc holds the accumulated side (left when
 * acc_left), the other side is parent - acc. Invalid candidates get -inf. */
/* -fno-trapping-math lets GCC if-convert the guarded divisions (FP traps are
 * never enabled by cml); it changes no result, unlike -ffast-math, and the
 * loop has no multiply-add for contraction to touch. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-trapping-math")))
#endif
static void
chunk_losses(const cml_gbm_params *p, const double *ag, const double *ah, int len, int acc_left,
             double G, double H, double root_gain, double *loss)
{
    const double mcw = p->min_child_weight, alpha = p->reg_alpha, lambda = p->reg_lambda;
    if (p->max_delta_step == 0.0) {
        /* gain(left) + gain(right): IEEE addition commutes exactly, so the
         * accumulated side's gain can go first whichever side it is. */
        for (int i = 0; i < len; i++) {
            double cg = G - ag[i], ch = H - ah[i];
            double v = (float)(gain_plain(ag[i], ah[i], alpha, lambda) +
                               gain_plain(cg, ch, alpha, lambda) - root_gain);
            loss[i] = ((ah[i] >= mcw) & (ch >= mcw)) ? v : -INFINITY;
        }
        return;
    }
    for (int i = 0; i < len; i++) {
        double cg = G - ag[i], ch = H - ah[i];
        double lg = acc_left ? ag[i] : cg, lh = acc_left ? ah[i] : ch;
        double rg = acc_left ? cg : ag[i], rh = acc_left ? ch : ah[i];
        loss[i] =
            (ah[i] >= mcw && ch >= mcw)
                ? (double)(float)(gbm_calc_gain(p, lg, lh) + gbm_calc_gain(p, rg, rh) - root_gain)
                : -INFINITY;
    }
}

/* Best split of one feature; hf = its histogram slots (nb bins + missing).
 * Forward scan (XGBoost's EnumerateSplit<+1>): left = bins <= i, missing
 * right; backward (<-1>), only when the node has missing values for f:
 * right = bins >= i, missing left. */
static void eval_feature(const cml_gbm_params *p, const double *hf, int32_t nb, int32_t f, double G,
                         double H, double root_gain, gbm_split *best)
{
    double ag[SCAN_CHUNK], ah[SCAN_CHUNK], loss[SCAN_CHUNK];
    memset(best, 0, sizeof *best);
    best->feature = f;
    double eg = 0.0, eh = 0.0;
    for (int32_t base = 0; base < nb; base += SCAN_CHUNK) {
        int len = (int)CML_MIN(SCAN_CHUNK, nb - base);
        for (int i = 0; i < len; i++) {
            eg += hf[2 * (base + i)];
            eh += hf[2 * (base + i) + 1];
            ag[i] = eg;
            ah[i] = eh;
        }
        chunk_losses(p, ag, ah, len, 1, G, H, root_gain, loss);
        for (int i = 0; i < len; i++)
            if (loss[i] > best->loss_chg)
                update(best, loss[i], f, base + i + 1, 0, ag[i], ah[i], G - ag[i], H - ah[i]);
    }
    if (hf[2 * nb] == 0.0 && hf[2 * nb + 1] == 0.0) return; /* no missing values here */
    eg = eh = 0.0;
    for (int32_t top = nb; top > 0; top -= SCAN_CHUNK) {
        int len = (int)CML_MIN(SCAN_CHUNK, top); /* bins top-1 down to top-len */
        for (int i = 0; i < len; i++) {
            eg += hf[2 * (top - 1 - i)];
            eh += hf[2 * (top - 1 - i) + 1];
            ag[i] = eg;
            ah[i] = eh;
        }
        chunk_losses(p, ag, ah, len, 0, G, H, root_gain, loss);
        for (int i = 0; i < len; i++)
            if (loss[i] > best->loss_chg)
                update(best, loss[i], f, top - 1 - i, 1, G - ag[i], H - ah[i], ag[i], ah[i]);
    }
}

/* ---------------------------------------------------------------- grower */

static cml_status hist_get(gbm_grower *g, double **out)
{
    if (g->n_free > 0) {
        *out = g->free_hist[--g->n_free];
        return CML_OK;
    }
    if (g->n_all == g->cap_all) {
        int cap = g->cap_all ? 2 * g->cap_all : 16;
        double **a = cml_realloc(g->all_hist, (size_t)cap * sizeof *a);
        double **fr = cml_realloc(g->free_hist, (size_t)cap * sizeof *fr);
        if (a) g->all_hist = a;
        if (fr) g->free_hist = fr;
        if (!a || !fr) return CML_ERR_NOMEM;
        g->cap_all = g->cap_free = cap;
    }
    double *h = cml_alloc_array(2 * (int64_t)g->b->n_slots, sizeof(double));
    if (!h) return CML_ERR_NOMEM;
    g->all_hist[g->n_all++] = h;
    *out = h;
    return CML_OK;
}

static void hist_put(gbm_grower *g, double *h)
{
    if (h) g->free_hist[g->n_free++] = h;
}

void gbm_grower_free(gbm_grower *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_all; i++)
        free(g->all_hist[i]);
    free(g->all_hist);
    free(g->free_hist);
    free(g->rows);
    free(g->tmp);
    free(g->chunk_left);
    free(g->node_use);
    free(g->tree_act);
    free(g->feat_list);
    free(g->fbest);
    free(g->queue);
    free(g);
}

cml_status gbm_grower_new(const gbm_binned *b, const cml_gbm_params *p, gbm_grower **out)
{
    gbm_grower *g = cml_calloc(1, sizeof *g);
    *out = NULL;
    if (!g) return CML_ERR_NOMEM;
    g->b = b;
    g->p = p;
    g->rows = cml_alloc_array(b->rows + 1, sizeof *g->rows);
    g->tmp = cml_alloc_array(b->rows + 1, sizeof *g->tmp);
    g->chunk_left = cml_alloc_array(b->rows / PART_CHUNK + 2, sizeof *g->chunk_left);
    g->node_use = cml_alloc_array(b->cols + 1, 1);
    g->tree_act = cml_alloc_array(b->cols + 1, 1);
    g->feat_list = cml_alloc_array(b->cols + 1, sizeof *g->feat_list);
    g->fbest = cml_alloc_array(b->cols + 1, sizeof *g->fbest);
    if (!g->rows || !g->tmp || !g->chunk_left || !g->node_use || !g->tree_act || !g->feat_list ||
        !g->fbest) {
        gbm_grower_free(g);
        return CML_ERR_NOMEM;
    }
    *out = g;
    return CML_OK;
}

void gbm_tree_free(gbm_tree *t)
{
    if (!t) return;
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

static cml_status tree_add(gbm_tree *t, int32_t depth, double G, double H, int64_t begin,
                           int64_t end)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        gbm_tnode *nn = cml_realloc(t->nodes, (size_t)cap * sizeof *nn);
        if (!nn) return CML_ERR_NOMEM;
        t->nodes = nn;
        t->cap = cap;
    }
    gbm_tnode *nd = &t->nodes[t->n++];
    memset(nd, 0, sizeof *nd);
    nd->feature = -1;
    nd->left = -1;
    nd->depth = depth;
    nd->G = G;
    nd->H = H;
    nd->begin = begin;
    nd->end = end;
    return CML_OK;
}

static cml_status queue_push(gbm_grower *g, int32_t node, double *hist, const gbm_split *s)
{
    if (g->n_queue == g->cap_queue) {
        int cap = g->cap_queue ? 2 * g->cap_queue : 64;
        cand *q = cml_realloc(g->queue, (size_t)cap * sizeof *q);
        if (!q) return CML_ERR_NOMEM;
        g->queue = q;
        g->cap_queue = cap;
    }
    cand *c = &g->queue[g->n_queue++];
    c->node = node;
    c->hist = hist;
    c->s = *s;
    return CML_OK;
}

/* Next candidate: FIFO (depthwise: level order, ids ascending) or the
 * largest loss change, older first (lossguide). */
static cand queue_pop(gbm_grower *g)
{
    int best = 0;
    if (g->p->grow_policy == CML_GBM_LOSSGUIDE)
        for (int i = 1; i < g->n_queue; i++)
            if (g->queue[i].s.loss_chg > g->queue[best].s.loss_chg ||
                (g->queue[i].s.loss_chg == g->queue[best].s.loss_chg &&
                 g->queue[i].node < g->queue[best].node))
                best = i;
    cand c = g->queue[best];
    memmove(g->queue + best, g->queue + best + 1, (size_t)(g->n_queue - best - 1) * sizeof c);
    g->n_queue--;
    return c;
}

/* Features a node may split on: the tree's, subsampled by colsample_bynode
 * (XGBoost's ColumnSampler: max(1, floor(frac * n)) of them). */
static const uint8_t *node_features(gbm_grower *g, const uint8_t *tree_use, cml_rng *rng)
{
    const int64_t F = g->b->cols;
    if (g->p->colsample_bynode >= 1.0) return tree_use;
    int64_t n = 0;
    for (int64_t f = 0; f < F; f++)
        if (!tree_use || tree_use[f]) g->feat_list[n++] = (int32_t)f;
    int64_t k = (int64_t)(g->p->colsample_bynode * (double)n);
    if (k < 1) k = 1;
    memset(g->node_use, 0, (size_t)F);
    for (int64_t i = 0; i < k; i++) { /* partial Fisher-Yates */
        int64_t j = i + (int64_t)cml_rng_below(rng, (uint64_t)(n - i));
        int32_t t = g->feat_list[i];
        g->feat_list[i] = g->feat_list[j];
        g->feat_list[j] = t;
        g->node_use[g->feat_list[i]] = 1;
    }
    return g->node_use;
}

static gbm_split eval_node(gbm_grower *g, const double *hist, const gbm_tnode *nd,
                           const uint8_t *use)
{
    const gbm_binned *b = g->b;
    const cml_gbm_params *p = g->p;
    const int64_t F = b->cols;
    const double root_gain = gbm_calc_gain(p, nd->G, nd->H);
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 16) if (b->n_slots > EVAL_PAR_MIN)
    for (int64_t f = 0; f < F; f++) {
        if ((use && !use[f]) || b->nbins[f] == 0) {
            memset(&g->fbest[f], 0, sizeof g->fbest[f]);
            g->fbest[f].feature = (int32_t)f;
            continue;
        }
        eval_feature(p, hist + 2 * (int64_t)b->hoff[f], b->nbins[f], (int32_t)f, nd->G, nd->H,
                     root_gain, &g->fbest[f]);
    }
    gbm_split best;
    memset(&best, 0, sizeof best);
    for (int64_t f = 0; f < F; f++)
        if (need_replace(&best, g->fbest[f].loss_chg, (int32_t)f)) best = g->fbest[f];
    return best;
}

/* ExpandEntry::IsValid. */
static int split_valid(const cml_gbm_params *p, const gbm_split *s, int num_leaves)
{
    if (s->loss_chg <= RT_EPS) return 0;
    if (s->HL == 0.0 || s->HR == 0.0) return 0;
    if (s->loss_chg < p->gamma) return 0;
    if (p->max_leaves > 0 && num_leaves >= p->max_leaves) return 0;
    return 1;
}

/* Stable partition of rows[begin..end) by the split; returns the left count.
 * Chunks of fixed size are counted then scattered in parallel. */
static int64_t partition(gbm_grower *g, int64_t begin, int64_t end, int32_t f, int32_t t, int dl)
{
    const gbm_binned *b = g->b;
    const int64_t n = end - begin;
    const int32_t miss = b->nbins[f];
    const int64_t nchunk = (n + PART_CHUNK - 1) / PART_CHUNK;
    int32_t *rows = g->rows + begin, *tmp = g->tmp + begin;
    int64_t *cl = g->chunk_left;
    if (n < PART_PAR_MIN) {
        /* One branch-free pass: left rows compact in place (their slot is
         * never ahead of the reader), right rows go to tmp; a left row also
         * writes tmp[nr], overwritten by the next right row or unused
         * (tmp has one spare slot at the end). */
        int64_t nl = 0, nr = 0;
        for (int64_t i = 0; i < n; i++) {
            int32_t r = rows[i], bb = gbm_bin_at(b, r, f);
            int gl = (bb < t) | ((bb == miss) & dl);
            rows[nl] = r;
            tmp[nr] = r;
            nl += gl;
            nr += !gl;
        }
        memcpy(rows + nl, tmp, (size_t)nr * sizeof *rows);
        return nl;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t c = 0; c < nchunk; c++) {
        int64_t lo = c * PART_CHUNK, hi = CML_MIN(n, lo + PART_CHUNK), cnt = 0;
        for (int64_t i = lo; i < hi; i++) {
            int32_t bb = gbm_bin_at(b, rows[i], f);
            cnt += (bb < t) | ((bb == miss) & dl);
        }
        cl[c] = cnt;
    }
    int64_t nleft = 0;
    for (int64_t c = 0; c < nchunk; c++) {
        int64_t v = cl[c];
        cl[c] = nleft;
        nleft += v;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(static)
    for (int64_t c = 0; c < nchunk; c++) {
        int64_t lo = c * PART_CHUNK, hi = CML_MIN(n, lo + PART_CHUNK);
        int64_t li = cl[c], ri = nleft + (lo - cl[c]);
        for (int64_t i = lo; i < hi; i++) {
            int32_t r = rows[i];
            int32_t bb = gbm_bin_at(b, r, f);
            if ((bb < t) | ((bb == miss) & dl))
                tmp[li++] = r;
            else
                tmp[ri++] = r;
        }
    }
    memcpy(rows, tmp, (size_t)n * sizeof *rows);
    return nleft;
}

static int can_split_depth(const cml_gbm_params *p, int32_t depth)
{
    return p->max_depth == 0 || depth < p->max_depth;
}

cml_status gbm_grow_tree(gbm_grower *g, const double *gh, const int32_t *rows_in, int64_t n,
                         const uint8_t *tree_use, cml_rng *rng, gbm_tree *tree)
{
    const cml_gbm_params *p = g->p;
    const gbm_binned *b = g->b;
    cml_status st = CML_OK;
    double *hist = NULL;
    tree->n = 0;
    tree->rows = g->rows;
    g->n_queue = 0;
    memcpy(g->rows, rows_in, (size_t)n * sizeof *g->rows);
    for (int64_t f = 0; f < b->cols; f++)
        g->tree_act[f] = b->active[f] && (!tree_use || tree_use[f]);
    tree_use = g->tree_act;

    double G = 0.0, H = 0.0;
    for (int64_t i = 0; i < n; i++) {
        G += gh[2 * (int64_t)rows_in[i]];
        H += gh[2 * (int64_t)rows_in[i] + 1];
    }
    CML_TRY(tree_add(tree, 0, G, H, 0, n));
    int num_leaves = 1;
    if (can_split_depth(p, 0) && n > 0) {
        CML_TRY(hist_get(g, &hist));
        gbm_hist_build(b, gh, g->rows, n, tree_use, hist);
        gbm_split s = eval_node(g, hist, &tree->nodes[0], node_features(g, tree_use, rng));
        CML_TRY(queue_push(g, 0, hist, &s));
        hist = NULL;
    }
    while (g->n_queue > 0) {
        cand c = queue_pop(g);
        if (!split_valid(p, &c.s, num_leaves)) {
            hist_put(g, c.hist);
            continue;
        }
        int32_t id = c.node, lid = tree->n;
        gbm_tnode nd = tree->nodes[id];
        int64_t nleft = partition(g, nd.begin, nd.end, c.s.feature, c.s.tbin, c.s.default_left);
        CML_TRY(tree_add(tree, nd.depth + 1, c.s.GL, c.s.HL, nd.begin, nd.begin + nleft));
        CML_TRY(tree_add(tree, nd.depth + 1, c.s.GR, c.s.HR, nd.begin + nleft, nd.end));
        gbm_tnode *pn = &tree->nodes[id];
        pn->feature = c.s.feature;
        pn->tbin = c.s.tbin;
        pn->default_left = c.s.default_left;
        pn->thr = gbm_cut_threshold(&b->cuts, c.s.feature, c.s.tbin);
        pn->left = lid;
        pn->gain = c.s.loss_chg;
        num_leaves++;

        int expand =
            can_split_depth(p, nd.depth + 1) && !(p->max_leaves > 0 && num_leaves >= p->max_leaves);
        if (!expand) {
            hist_put(g, c.hist);
            continue;
        }
        /* Build the smaller child, the larger is parent - smaller (in place). */
        const gbm_tnode *L = &tree->nodes[lid], *R = &tree->nodes[lid + 1];
        int small_left = (L->end - L->begin) <= (R->end - R->begin);
        const gbm_tnode *S = small_left ? L : R;
        double *hs;
        CML_TRY(hist_get(g, &hs));
        gbm_hist_build(b, gh, g->rows + S->begin, S->end - S->begin, tree_use, hs);
        gbm_hist_subtract(c.hist, hs, b->n_slots, c.hist);
        double *hl = small_left ? hs : c.hist, *hr = small_left ? c.hist : hs;
        gbm_split sl = eval_node(g, hl, &tree->nodes[lid], node_features(g, tree_use, rng));
        CML_TRY(queue_push(g, lid, hl, &sl));
        gbm_split sr = eval_node(g, hr, &tree->nodes[lid + 1], node_features(g, tree_use, rng));
        CML_TRY(queue_push(g, lid + 1, hr, &sr));
    }
    for (int i = 0; i < tree->n; i++) {
        gbm_tnode *nd = &tree->nodes[i];
        if (nd->feature < 0) nd->value = gbm_calc_weight(p, nd->G, nd->H) * p->learning_rate;
    }
    return CML_OK;
fail:
    hist_put(g, hist);
    for (int i = 0; i < g->n_queue; i++)
        hist_put(g, g->queue[i].hist);
    g->n_queue = 0;
    return st;
}
