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
 * Categorical features (XGBoost 1.7's HistEvaluator with
 * enable_categorical; Fisher 1958 for the sorted partition): with fewer
 * than max_cat_to_onehot categories, one-vs-rest splits (EnumerateOneHot:
 * each category alone on the right, missing values left, then right);
 * otherwise the categories are sorted by their weight CalcWeight(G_c, H_c)
 * (ties by code) and the prefixes of that order, at most
 * max_cat_threshold - 1 of them, are scanned forward (prefix right, missing
 * left) and backward (suffix left, missing right) (EnumeratePart). The split
 * keeps the set of categories that go right.
 *
 * Growth: depthwise pops candidates level by level in node-id order;
 * lossguide pops the largest loss change first (ties: older node), as
 * XGBoost's Driver. After a split only the child with fewer rows gets a
 * histogram pass; the other is parent - child. Depthwise trees on narrow
 * data (the common tall table) grow level by level instead (grow_levels):
 * the same decisions in the same order, but one scan of all rows per level
 * moves every row to its child and builds all the level's histograms
 * (gbm_hist_level); the child built directly is then the one with the
 * smaller hessian sum, rows leave the tree as per-row leaf ids (pos).
 * The K trees of a multi-class round can grow together (gbm_grow_trees):
 * each level's scans share one parallel region (gbm_hist_level's jobs), the
 * split searches run one tree per thread; each tree is what it would be
 * alone, bit for bit.
 *
 * Complexity per tree: O(depth * n * features) for histograms (n/2 per level
 * thanks to subtraction) + O(nodes * bins) for split search.
 * Thread-safety: a grower is single-user scratch; results are independent of
 * the thread count (fixed-order sums, stable partitions).
 */
#include <float.h>
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
    int32_t tbin; /* numeric: left iff bin < tbin; one-hot: the bin that goes right;
                     partition: how many categories of the sorted order go right */
    int cat;      /* 0 numeric, CAT_ONEHOT or CAT_PART */
    int default_left;
    double GL, HL, GR, HR;
} gbm_split;

enum { CAT_ONEHOT = 1, CAT_PART = 2 };

/* A category's bin and weight, for the sorted-partition scan. */
typedef struct cat_pair {
    double w;
    int32_t bin;
} cat_pair;

typedef struct cand {
    int32_t node;
    double *hist;
    gbm_split s;
} cand;

struct gbm_grower {
    const gbm_binned *b;
    const cml_gbm_params *p;
    int32_t *rows, *tmp; /* (b->rows + 1) the per-node path's, made on first use */
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
    /* Constraints (NULL: none). Per node, indexed by tree node id: */
    const gbm_constraints *cons;
    int64_t ncap;
    float *lo, *up, *wt;    /* (ncap) monotone weight bounds, the node's clamped weight */
    uint64_t *path, *allow; /* (ncap, words) features split on above / allowed to split */
    uint8_t *use2;          /* (cols) node features after the interaction filter */
    /* Categorical features (NULL when there is none): */
    cat_pair *cat_sort;   /* (n_slots) feature f sorts in slots hoff[f].. (disjoint per thread) */
    uint8_t *cat_lt;      /* (max bins + 1) per bin: goes left, for the partition */
    int32_t max_cat_bins; /* largest nbins of a categorical feature */
    /* Level-by-level growth (grow_levels): */
    int keep_rows;
    int32_t *pos;     /* (b->rows) node of each row */
    gbm_route *route; /* (rcap) per node id */
    int32_t *slot;    /* (rcap) per node id: its histogram in lvl_out, or -1 */
    int64_t rcap;
    int32_t *lvl_feats; /* (cols) the tree's features */
    cand *lvl;          /* the level's candidates */
    int cap_lvl;
    struct lvl_split *exp; /* (cap_lvl) the level's splits whose children grow */
    double **lvl_out;      /* (cap_lvl) histograms of the built children */
    double *lvl_scratch;   /* chunk histograms of gbm_hist_level */
    int64_t cap_scratch;
    uint8_t *lvl_lt; /* (cap_lvl, max_cat_bins + 1) categorical routing tables */
    /* The tree growing level by level (lv_begin .. lv_after): */
    struct lv_state {
        const double *gh;
        const int32_t *rows;
        int64_t n;
        const uint8_t *use;
        cml_rng *rng;
        gbm_tree *tree;
        int nf, n_out, n_exp, root, num_leaves;
    } lv;
};

/* A split of the current level whose children get histograms. */
struct lvl_split {
    int32_t id, lid;
    double *parent; /* the parent's histogram, becomes the larger child's */
    int small_left; /* the left child is built, the right is parent - left */
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

/* ---------------------------------------------------------------- monotone constraints */

/* XGBoost 1.7's TreeEvaluator (split_evaluator.h) with a monotone
 * constraint anywhere: weights are float, clamped to the node's bounds;
 * every gain (constrained feature or not) is CalcGainGivenWeight's
 * -(2 G w + (H + lambda) w^2) with its float / double mix; a split on a
 * constrained feature whose left / right weights go the wrong way is -inf.
 * After a split the children inherit the bounds and, on a constrained
 * feature, meet at mid = (w_left + w_right) / 2 (AddSplit). */
static inline float cons_weight(const cml_gbm_params *p, double G, double H, float lo, float up)
{
    const float w = (float)gbm_calc_weight(p, G, H);
    return w < lo ? lo : (w > up ? up : w);
}

static inline float gain_given_w(const cml_gbm_params *p, double G, double H, float w)
{
    if (H <= 0.0) return 0.0f;
    const float g = (float)G, h = (float)H;
    /* 2.0 * g * w is a double product there; (h + lambda) * w^2 is float */
    return (float)(-(2.0 * (double)g * (double)w + (double)((h + (float)p->reg_lambda) * (w * w))));
}

/* The node's bounds and the split feature's constraint for a scan. */
typedef struct mono_ctx {
    float lo, up;
    int c;
} mono_ctx;

static void chunk_losses_mono(const cml_gbm_params *p, const mono_ctx *mc, const double *ag,
                              const double *ah, int len, int acc_left, double G, double H,
                              double root_gain, double *loss)
{
    const double mcw = p->min_child_weight;
    for (int i = 0; i < len; i++) {
        double cg = G - ag[i], ch = H - ah[i];
        double lg = acc_left ? ag[i] : cg, lh = acc_left ? ah[i] : ch;
        double rg = acc_left ? cg : ag[i], rh = acc_left ? ch : ah[i];
        if (!(ah[i] >= mcw && ch >= mcw)) {
            loss[i] = -INFINITY;
            continue;
        }
        const float wl = cons_weight(p, lg, lh, mc->lo, mc->up);
        const float wr = cons_weight(p, rg, rh, mc->lo, mc->up);
        const float gain = gain_given_w(p, lg, lh, wl) + gain_given_w(p, rg, rh, wr);
        if ((mc->c > 0 && wl > wr) || (mc->c < 0 && wl < wr)) {
            loss[i] = -INFINITY;
            continue;
        }
        loss[i] = (double)(gain - (float)root_gain);
    }
}

/* SplitEntry::NeedReplace: a lower feature index wins ties. */
static inline int need_replace(const gbm_split *cur, double loss, int32_t f)
{
    if (isinf(loss)) return 0;
    if (cur->feature <= f) return loss > cur->loss_chg;
    return !(cur->loss_chg > loss);
}

static inline void update_k(gbm_split *s, int kind, double loss, int32_t f, int32_t t, int dl,
                            double GL, double HL, double GR, double HR)
{
    if (!need_replace(s, loss, f)) return;
    s->loss_chg = loss;
    s->feature = f;
    s->tbin = t;
    s->cat = kind;
    s->default_left = dl;
    s->GL = GL;
    s->HL = HL;
    s->GR = GR;
    s->HR = HR;
}

static inline void update(gbm_split *s, double loss, int32_t f, int32_t t, int dl, double GL,
                          double HL, double GR, double HR)
{
    update_k(s, 0, loss, f, t, dl, GL, HL, GR, HR);
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
static void eval_feature(const cml_gbm_params *p, const mono_ctx *mc, const double *hf, int32_t nb,
                         int32_t f, double G, double H, double root_gain, gbm_split *best)
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
        if (mc)
            chunk_losses_mono(p, mc, ag, ah, len, 1, G, H, root_gain, loss);
        else
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
        if (mc)
            chunk_losses_mono(p, mc, ag, ah, len, 0, G, H, root_gain, loss);
        else
            chunk_losses(p, ag, ah, len, 0, G, H, root_gain, loss);
        for (int i = 0; i < len; i++)
            if (loss[i] > best->loss_chg)
                update(best, loss[i], f, top - 1 - i, 1, G - ag[i], H - ah[i], ag[i], ah[i]);
    }
}

/* Loss change of one candidate: acc is the accumulated side (left when
 * acc_left), the other is the node minus it. */
static double one_loss(const cml_gbm_params *p, const mono_ctx *mc, double ag, double ah,
                       int acc_left, double G, double H, double root_gain)
{
    double loss;
    if (mc)
        chunk_losses_mono(p, mc, &ag, &ah, 1, acc_left, G, H, root_gain, &loss);
    else
        chunk_losses(p, &ag, &ah, 1, acc_left, G, H, root_gain, &loss);
    return loss;
}

static int cmp_cat_pair(const void *a, const void *b)
{
    const cat_pair *x = a, *y = b;
    if (x->w != y->w) return x->w < y->w ? -1 : 1;
    return (x->bin > y->bin) - (x->bin < y->bin); /* = a stable sort */
}

/* The categories (bins) of a feature sorted by CalcWeight, XGBoost's order
 * for partition splits. */
static void cat_order(const cml_gbm_params *p, const double *hf, int32_t nb, cat_pair *out)
{
    for (int32_t b = 0; b < nb; b++) {
        out[b].w = gbm_calc_weight(p, hf[2 * b], hf[2 * b + 1]);
        out[b].bin = b;
    }
    qsort(out, (size_t)nb, sizeof *out, cmp_cat_pair);
}

/* Best categorical split of one feature (see the file comment); hf = its
 * slots (nb categories + missing), srt = nb scratch pairs. */
static void eval_feature_cat(const cml_gbm_params *p, const mono_ctx *mc, const double *hf,
                             int32_t nb, int32_t f, double G, double H, double root_gain,
                             cat_pair *srt, gbm_split *best)
{
    memset(best, 0, sizeof *best);
    best->feature = f;
    const double mg = hf[2 * nb], mh = hf[2 * nb + 1];
    if (nb < p->max_cat_to_onehot) {
        for (int32_t b = 0; b < nb; b++) {
            double rg = hf[2 * b], rh = hf[2 * b + 1];
            double l = one_loss(p, mc, rg, rh, 0, G, H, root_gain); /* missing left */
            if (l > best->loss_chg) update_k(best, CAT_ONEHOT, l, f, b, 1, G - rg, H - rh, rg, rh);
            rg += mg;
            rh += mh;
            l = one_loss(p, mc, rg, rh, 0, G, H, root_gain); /* missing right */
            if (l > best->loss_chg) update_k(best, CAT_ONEHOT, l, f, b, 0, G - rg, H - rh, rg, rh);
        }
        return;
    }
    cat_order(p, hf, nb, srt);
    const int32_t n_scan = CML_MIN(p->max_cat_threshold, nb);
    double ag = 0.0, ah = 0.0;
    for (int32_t i = 0; i + 1 < n_scan; i++) { /* sorted prefix right, missing left */
        ag += hf[2 * srt[i].bin];
        ah += hf[2 * srt[i].bin + 1];
        double l = one_loss(p, mc, ag, ah, 0, G, H, root_gain);
        if (l > best->loss_chg) update_k(best, CAT_PART, l, f, i + 1, 1, G - ag, H - ah, ag, ah);
    }
    ag = ah = 0.0;
    for (int32_t j = nb - 1; j > nb - n_scan; j--) { /* sorted suffix left, missing right */
        ag += hf[2 * srt[j].bin];
        ah += hf[2 * srt[j].bin + 1];
        double l = one_loss(p, mc, ag, ah, 1, G, H, root_gain);
        if (l > best->loss_chg) update_k(best, CAT_PART, l, f, j, 0, ag, ah, G - ag, H - ah);
    }
}

/* Per bin of split feature f (and its missing bin): 1 if the rows go left.
 * hist = the node's histogram the split was found on. */
static void cat_left_table(const gbm_grower *g, const double *hist, const gbm_split *s, uint8_t *lt)
{
    const gbm_binned *b = g->b;
    const int32_t f = s->feature, nb = b->nbins[f];
    memset(lt, 1, (size_t)nb);
    lt[nb] = (uint8_t)s->default_left;
    if (s->cat == CAT_ONEHOT) {
        lt[s->tbin] = 0;
        return;
    }
    cat_pair *srt = g->cat_sort + b->hoff[f];
    cat_order(g->p, hist + 2 * (int64_t)b->hoff[f], nb, srt);
    for (int32_t i = 0; i < s->tbin; i++)
        lt[srt[i].bin] = 0;
}

cml_status gbm_tree_add_catset(gbm_tree *t, int64_t n_words, int64_t *off)
{
    const int64_t need = t->n_words + 1 + n_words;
    if (need > t->cap_words) {
        int64_t cap = CML_MAX(2 * t->cap_words, need + 64);
        uint32_t *w = cml_realloc(t->cat_words, (size_t)cap * sizeof *w);
        if (!w) return CML_ERR_NOMEM;
        t->cat_words = w;
        t->cap_words = cap;
    }
    *off = t->n_words;
    t->cat_words[t->n_words] = (uint32_t)n_words;
    memset(t->cat_words + t->n_words + 1, 0, (size_t)n_words * sizeof *t->cat_words);
    t->n_words = need;
    return CML_OK;
}

/* The category set (categories going right) of a split from its table. */
static cml_status cat_set_of(const gbm_binned *b, int32_t f, const uint8_t *lt, gbm_tree *t,
                             int64_t *off)
{
    const int32_t nb = b->nbins[f];
    const double *codes = b->cuts.values + b->cuts.ptr[f];
    const int64_t n_words = (int64_t)codes[nb - 1] / 32 + 1;
    CML_CHECK(gbm_tree_add_catset(t, n_words, off));
    uint32_t *bits = t->cat_words + *off + 1;
    for (int32_t i = 0; i < nb; i++)
        if (!lt[i]) {
            const uint32_t c = (uint32_t)codes[i];
            bits[c >> 5] |= 1u << (c & 31u);
        }
    return CML_OK;
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
    free(g->lo);
    free(g->up);
    free(g->wt);
    free(g->path);
    free(g->allow);
    free(g->use2);
    free(g->cat_sort);
    free(g->cat_lt);
    free(g->pos);
    free(g->route);
    free(g->slot);
    free(g->lvl_feats);
    free(g->lvl);
    free(g->exp);
    free(g->lvl_out);
    free(g->lvl_scratch);
    free(g->lvl_lt);
    free(g);
}

cml_status gbm_grower_new(const gbm_binned *b, const cml_gbm_params *p, gbm_grower **out)
{
    gbm_grower *g = cml_calloc(1, sizeof *g);
    *out = NULL;
    if (!g) return CML_ERR_NOMEM;
    g->b = b;
    g->p = p;
    g->node_use = cml_alloc_array(b->cols + 1, 1);
    g->tree_act = cml_alloc_array(b->cols + 1, 1);
    g->feat_list = cml_alloc_array(b->cols + 1, sizeof *g->feat_list);
    g->fbest = cml_alloc_array(b->cols + 1, sizeof *g->fbest);
    g->pos = cml_alloc_array(b->rows + 1, sizeof *g->pos);
    g->lvl_feats = cml_alloc_array(b->cols + 1, sizeof *g->lvl_feats);
    if (b->is_cat) {
        int32_t mx = 0;
        for (int64_t f = 0; f < b->cols; f++)
            mx = CML_MAX(mx, b->nbins[f]);
        g->cat_sort = cml_alloc_array(CML_MAX(b->n_slots, 1), sizeof *g->cat_sort);
        g->max_cat_bins = mx;
        g->cat_lt = cml_alloc_array((int64_t)mx + 1, 1);
        if (!g->cat_sort || !g->cat_lt) {
            gbm_grower_free(g);
            return CML_ERR_NOMEM;
        }
    }
    if (!g->node_use || !g->tree_act || !g->feat_list || !g->fbest || !g->pos || !g->lvl_feats) {
        gbm_grower_free(g);
        return CML_ERR_NOMEM;
    }
    *out = g;
    return CML_OK;
}

void gbm_grower_keep_rows(gbm_grower *g, int on)
{
    g->keep_rows = on;
}

void gbm_grower_set_constraints(gbm_grower *g, const gbm_constraints *c)
{
    g->cons = c && (c->mono || c->n_sets > 0) ? c : NULL;
}

/* Per-node constraint state for node ids < n. */
static cml_status cons_reserve(gbm_grower *g, int64_t n)
{
    if (n <= g->ncap) return CML_OK;
    const int64_t cap = CML_MAX(2 * g->ncap, CML_MAX(n, 64)), W = CML_MAX(g->cons->words, 1);
    float *lo = cml_realloc(g->lo, (size_t)cap * sizeof *lo);
    if (lo) g->lo = lo;
    float *up = cml_realloc(g->up, (size_t)cap * sizeof *up);
    if (up) g->up = up;
    float *wt = cml_realloc(g->wt, (size_t)cap * sizeof *wt);
    if (wt) g->wt = wt;
    uint64_t *pa = cml_realloc(g->path, (size_t)(cap * W) * sizeof *pa);
    if (pa) g->path = pa;
    uint64_t *al = cml_realloc(g->allow, (size_t)(cap * W) * sizeof *al);
    if (al) g->allow = al;
    if (!g->use2) g->use2 = cml_alloc_array(g->b->cols + 1, 1);
    if (!lo || !up || !wt || !pa || !al || !g->use2) return CML_ERR_NOMEM;
    g->ncap = cap;
    return CML_OK;
}

/* Root state: no bounds, nothing on the path, every feature allowed. */
static cml_status cons_root(gbm_grower *g, const gbm_tnode *root)
{
    CML_CHECK(cons_reserve(g, 1));
    const int64_t W = g->cons->words;
    g->lo[0] = -FLT_MAX;
    g->up[0] = FLT_MAX;
    g->wt[0] = cons_weight(g->p, root->G, root->H, g->lo[0], g->up[0]);
    memset(g->path, 0, (size_t)W * sizeof *g->path);
    memset(g->allow, 0xff, (size_t)W * sizeof *g->allow);
    return CML_OK;
}

/* The children lid, lid + 1 of node id after a split on feature f. */
static cml_status cons_split(gbm_grower *g, int32_t id, int32_t lid, int32_t f, const gbm_split *s)
{
    CML_CHECK(cons_reserve(g, lid + 2));
    const gbm_constraints *c = g->cons;
    const int64_t W = c->words;
    const float wl = cons_weight(g->p, s->GL, s->HL, g->lo[id], g->up[id]);
    const float wr = cons_weight(g->p, s->GR, s->HR, g->lo[id], g->up[id]);
    g->wt[lid] = wl;
    g->wt[lid + 1] = wr;
    g->lo[lid] = g->lo[lid + 1] = g->lo[id];
    g->up[lid] = g->up[lid + 1] = g->up[id];
    const int cf = c->mono ? c->mono[f] : 0;
    const float mid = (wl + wr) / 2;
    if (cf < 0) {
        g->lo[lid] = mid;
        g->up[lid + 1] = mid;
    } else if (cf > 0) {
        g->up[lid] = mid;
        g->lo[lid + 1] = mid;
    }
    if (c->n_sets == 0) return CML_OK;
    /* FeatureInteractionConstraintHost::Split: a child may split on the
     * features already on its path and on every set that contains them
     * all. */
    uint64_t *pl = g->path + (int64_t)lid * W, *al = g->allow + (int64_t)lid * W;
    memcpy(pl, g->path + (int64_t)id * W, (size_t)W * sizeof *pl);
    pl[f / 64] |= (uint64_t)1 << (f % 64);
    memcpy(al, pl, (size_t)W * sizeof *al);
    for (int k = 0; k < c->n_sets; k++) {
        const uint64_t *set = c->sets + (int64_t)k * W;
        int subset = 1;
        for (int64_t w = 0; w < W && subset; w++)
            subset = (pl[w] & ~set[w]) == 0;
        if (subset)
            for (int64_t w = 0; w < W; w++)
                al[w] |= set[w];
    }
    memcpy(g->path + (int64_t)(lid + 1) * W, pl, (size_t)W * sizeof *pl);
    memcpy(g->allow + (int64_t)(lid + 1) * W, al, (size_t)W * sizeof *al);
    return CML_OK;
}

void gbm_tree_free(gbm_tree *t)
{
    if (!t) return;
    free(t->nodes);
    free(t->cat_words);
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
    nd->cat_off = -1;
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

static gbm_split eval_node(gbm_grower *g, const double *hist, const gbm_tnode *nd, int32_t id,
                           const uint8_t *use)
{
    const gbm_binned *b = g->b;
    const cml_gbm_params *p = g->p;
    const int64_t F = b->cols;
    const gbm_constraints *c = g->cons;
    double root_gain = gbm_calc_gain(p, nd->G, nd->H);
    if (c && c->mono) root_gain = gain_given_w(p, nd->G, nd->H, g->wt[id]);
    if (c && c->n_sets > 0) { /* the sampled features this node may split on */
        const uint64_t *al = g->allow + (int64_t)id * c->words;
        for (int64_t f = 0; f < F; f++)
            g->use2[f] = (!use || use[f]) && ((al[f / 64] >> (f % 64)) & 1);
        use = g->use2;
    }
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 16) if (b->n_slots > EVAL_PAR_MIN)
    for (int64_t f = 0; f < F; f++) {
        if ((use && !use[f]) || b->nbins[f] == 0) {
            memset(&g->fbest[f], 0, sizeof g->fbest[f]);
            g->fbest[f].feature = (int32_t)f;
            continue;
        }
        mono_ctx mc;
        if (c && c->mono) mc = (mono_ctx){g->lo[id], g->up[id], c->mono[f]};
        if (b->is_cat && b->is_cat[f]) {
            if (c && c->mono) mc.c = 0; /* categories have no order to be monotone in */
            eval_feature_cat(p, c && c->mono ? &mc : NULL, hist + 2 * (int64_t)b->hoff[f],
                             b->nbins[f], (int32_t)f, nd->G, nd->H, root_gain,
                             g->cat_sort + b->hoff[f], &g->fbest[f]);
            continue;
        }
        eval_feature(p, c && c->mono ? &mc : NULL, hist + 2 * (int64_t)b->hoff[f], b->nbins[f],
                     (int32_t)f, nd->G, nd->H, root_gain, &g->fbest[f]);
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
 * Chunks of fixed size are counted then scattered in parallel. lt: per bin
 * "goes left" for a categorical split, NULL for a numeric one. */
#define GOES_LEFT(bb) (lt ? lt[bb] : ((bb) < t) | (((bb) == miss) & dl))
static int64_t partition(gbm_grower *g, int64_t begin, int64_t end, int32_t f, int32_t t, int dl,
                         const uint8_t *lt)
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
            int gl = GOES_LEFT(bb);
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
            cnt += GOES_LEFT(bb);
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
            if (GOES_LEFT(bb))
                tmp[li++] = r;
            else
                tmp[ri++] = r;
        }
    }
    memcpy(rows, tmp, (size_t)n * sizeof *rows);
    return nleft;
}
#undef GOES_LEFT

static int can_split_depth(const cml_gbm_params *p, int32_t depth)
{
    return p->max_depth == 0 || depth < p->max_depth;
}

static void leaf_values(const gbm_grower *g, gbm_tree *tree)
{
    const cml_gbm_params *p = g->p;
    for (int i = 0; i < tree->n; i++) {
        gbm_tnode *nd = &tree->nodes[i];
        /* With monotone constraints a leaf keeps the weight clamped to its
         * parent's bounds at the split (XGBoost's ApplyTreeSplit). */
        if (nd->feature < 0)
            nd->value =
                (g->cons && g->cons->mono ? (double)g->wt[i] : gbm_calc_weight(p, nd->G, nd->H)) *
                p->learning_rate;
    }
}

/* The root's gradient sums and constraint state. From its histogram when
 * there is one (hist != NULL): the slots of one used feature, missing bin
 * included, hold every row once, so their sum is G, H in O(bins) instead of
 * a serial pass over the rows (the feature with the fewest slots, for the
 * shortest sum). Else (no feature to split on, or no row) from the rows. */
static cml_status root_init(gbm_grower *g, gbm_tree *tree, const double *hist, const uint8_t *use,
                            const double *gh, const int32_t *rows, int64_t n)
{
    const gbm_binned *b = g->b;
    int64_t best = -1;
    if (hist)
        for (int64_t f = 0; f < b->cols; f++)
            if (use[f] && (best < 0 || b->nbins[f] < b->nbins[best])) best = f;
    double G = 0.0, H = 0.0;
    if (best >= 0) {
        const double *h = hist + 2 * (int64_t)b->hoff[best];
        for (int32_t i = 0; i <= b->nbins[best]; i++) {
            G += h[2 * i];
            H += h[2 * i + 1];
        }
    } else
        for (int64_t i = 0; i < n; i++) {
            G += gh[2 * (int64_t)rows[i]];
            H += gh[2 * (int64_t)rows[i] + 1];
        }
    tree->nodes[0].G = G;
    tree->nodes[0].H = H;
    return g->cons ? cons_root(g, &tree->nodes[0]) : CML_OK;
}

/* ---------------------------------------------------------------- level by level */

/* Narrow data (histograms up to this many slots) grows depthwise trees
 * level by level: one sequential scan of all rows per level routes them and
 * builds every histogram the level needs (gbm_hist_level), instead of a
 * partition and a gathered pass per node; wide data keeps the per-node path,
 * whose feature-block parallelism needs no chunk histograms to reduce. */
#define LEVEL_MAX_SLOTS 8192

static int use_levels(const gbm_grower *g)
{
    return g->p->grow_policy == CML_GBM_DEPTHWISE && !g->keep_rows &&
           g->b->n_slots <= LEVEL_MAX_SLOTS;
}

/* The route of a node not split: every bin goes "left", to itself. */
static gbm_route route_stay(int32_t id)
{
    return (gbm_route){id, 0, INT32_MAX, -1, NULL};
}

/* Node-indexed routing state for ids < n (new entries: not split, no slot). */
static cml_status route_reserve(gbm_grower *g, int64_t n)
{
    if (n <= g->rcap) return CML_OK;
    const int64_t cap = CML_MAX(2 * g->rcap, CML_MAX(n, 64));
    gbm_route *r = cml_realloc(g->route, (size_t)cap * sizeof *r);
    if (r) g->route = r;
    int32_t *sl = cml_realloc(g->slot, (size_t)cap * sizeof *sl);
    if (sl) g->slot = sl;
    if (!r || !sl) return CML_ERR_NOMEM;
    for (int64_t i = g->rcap; i < cap; i++) {
        g->route[i] = route_stay((int32_t)i);
        g->slot[i] = -1;
    }
    g->rcap = cap;
    return CML_OK;
}

/* Room for a level of n candidates (and its splits, histograms, tables). */
static cml_status level_reserve(gbm_grower *g, int n)
{
    if (n <= g->cap_lvl) return CML_OK;
    const int cap = CML_MAX(2 * g->cap_lvl, CML_MAX(n, 64));
    cand *l = cml_realloc(g->lvl, (size_t)cap * sizeof *l);
    if (l) g->lvl = l;
    struct lvl_split *e = cml_realloc(g->exp, (size_t)cap * sizeof *e);
    if (e) g->exp = e;
    double **o = cml_realloc(g->lvl_out, (size_t)cap * sizeof *o);
    if (o) g->lvl_out = o;
    if (!l || !e || !o) return CML_ERR_NOMEM;
    for (int i = g->cap_lvl; i < cap; i++)
        g->lvl_out[i] = NULL; /* a pass with no histograms still reads entry 0 */
    if (g->b->is_cat) {
        uint8_t *lt = cml_realloc(g->lvl_lt, (size_t)cap * (size_t)(g->max_cat_bins + 1));
        if (!lt) return CML_ERR_NOMEM;
        g->lvl_lt = lt;
    }
    g->cap_lvl = cap;
    return CML_OK;
}

/* Room for the chunk histograms of a pass with n_out outputs. */
static cml_status scratch_reserve(gbm_grower *g, int n_out)
{
    const int64_t need = gbm_hist_level_scratch(g->b, n_out);
    if (need <= g->cap_scratch) return CML_OK;
    double *sc = cml_realloc(g->lvl_scratch, (size_t)need * sizeof *sc);
    if (!sc) return CML_ERR_NOMEM;
    g->lvl_scratch = sc;
    g->cap_scratch = need;
    return CML_OK;
}

/* The pass the grower's tree needs next (lv_begin / lv_after set pass). */
static gbm_level_job lv_job(const gbm_grower *g)
{
    return (gbm_level_job){g->lv.gh,    g->pos,       g->route, g->slot,    g->lvl_out,
                           g->lv.n_out, g->lvl_feats, g->lv.nf, g->lv.root, g->lvl_scratch};
}

/*
 * Depthwise growth level by level, with the same decisions, in the same
 * order, as the per-node loop of gbm_grow_tree (split validity and
 * max_leaves in node-id order, children evaluated left then right, so
 * colsample_bynode draws the same features); only the histogram sums are
 * ordered differently. The child built directly is the one with the
 * smaller hessian sum (row counts are not known before the pass that routes
 * the rows). A tree is a sequence of steps between passes: lv_begin, then
 * lv_after after every pass, each saying whether another pass is needed
 * (*pass); the passes themselves are gbm_hist_level's, so several trees can
 * share them (gbm_grow_trees).
 */
static cml_status lv_prepare(gbm_grower *g, int *pass);

static cml_status lv_begin(gbm_grower *g, const double *gh, const int32_t *rows_in, int64_t n,
                           const uint8_t *tree_use, cml_rng *rng, gbm_tree *tree, int *pass)
{
    const gbm_binned *b = g->b;
    *pass = 0;
    int nf = 0;
    for (int64_t f = 0; f < b->cols; f++)
        if (tree_use[f]) g->lvl_feats[nf++] = (int32_t)f;
    for (int64_t i = 0; i < g->rcap; i++) {
        g->route[i] = route_stay((int32_t)i);
        g->slot[i] = -1;
    }
    if (n == b->rows) /* distinct row ids: every row is in the sample */
        memset(g->pos, 0, (size_t)n * sizeof *g->pos);
    else {
        for (int64_t i = 0; i < b->rows; i++)
            g->pos[i] = ~0;
        for (int64_t i = 0; i < n; i++)
            g->pos[rows_in[i]] = 0;
    }
    tree->rows = NULL;
    tree->pos = g->pos;
    g->lv = (struct lv_state){gh, rows_in, n, tree_use, rng, tree, nf, 0, 0, 0, 1};
    if (!can_split_depth(g->p, 0) || n == 0 || nf == 0)
        return root_init(g, tree, NULL, tree_use, gh, rows_in, n);
    CML_CHECK(route_reserve(g, 1));
    CML_CHECK(level_reserve(g, 1));
    CML_CHECK(scratch_reserve(g, 1));
    CML_CHECK(hist_get(g, &g->lvl_out[0]));
    g->slot[0] = 0;
    g->lv.n_out = 1;
    g->lv.root = 1;
    *pass = 1;
    return CML_OK;
}

/* After a pass: the new nodes' splits, then the next level's routes. */
static cml_status lv_after(gbm_grower *g, int *pass)
{
    gbm_tree *tree = g->lv.tree;
    const gbm_binned *b = g->b;
    *pass = 0;
    if (g->lv.root) {
        double *hist = g->lvl_out[0];
        g->slot[0] = -1;
        g->lv.root = 0;
        CML_CHECK(root_init(g, tree, hist, g->lv.use, g->lv.gh, g->lv.rows, g->lv.n));
        gbm_split s0 =
            eval_node(g, hist, &tree->nodes[0], 0, node_features(g, g->lv.use, g->lv.rng));
        CML_CHECK(queue_push(g, 0, hist, &s0));
        return lv_prepare(g, pass);
    }
    for (int j = 0; j < g->lv.n_exp; j++)
        g->slot[g->exp[j].lid + !g->exp[j].small_left] = -1;
    /* Children in order, left then right; each histogram is queued. */
    for (int j = 0; j < g->lv.n_exp; j++) {
        const struct lvl_split *e = &g->exp[j];
        gbm_hist_subtract(e->parent, g->lvl_out[j], b->n_slots, e->parent);
        double *hl = e->small_left ? g->lvl_out[j] : e->parent;
        double *hr = e->small_left ? e->parent : g->lvl_out[j];
        for (int side = 0; side < 2; side++) {
            const int32_t cid = e->lid + side;
            double *hc = side ? hr : hl;
            gbm_split sc =
                eval_node(g, hc, &tree->nodes[cid], cid, node_features(g, g->lv.use, g->lv.rng));
            CML_CHECK(queue_push(g, cid, hc, &sc));
        }
    }
    return lv_prepare(g, pass);
}

/* The queued level (the FIFO holds exactly one): its valid splits become
 * routes, their smaller children get histogram slots. No split: done. */
static cml_status lv_prepare(gbm_grower *g, int *pass)
{
    const cml_gbm_params *p = g->p;
    const gbm_binned *b = g->b;
    gbm_tree *tree = g->lv.tree;
    *pass = 0;
    const int nl = g->n_queue;
    if (nl == 0) return CML_OK;
    CML_CHECK(level_reserve(g, nl));
    memcpy(g->lvl, g->queue, (size_t)nl * sizeof *g->lvl);
    g->n_queue = 0;
    int n_split = 0, n_exp = 0;
    for (int i = 0; i < nl; i++) {
        cand c = g->lvl[i];
        if (!split_valid(p, &c.s, g->lv.num_leaves)) {
            hist_put(g, c.hist);
            continue;
        }
        const int32_t id = c.node, lid = tree->n, f = c.s.feature;
        const int32_t depth = tree->nodes[id].depth;
        uint8_t *lt = NULL;
        int64_t cat_off = -1;
        if (c.s.cat) {
            lt = g->lvl_lt + (int64_t)n_split * (g->max_cat_bins + 1);
            cat_left_table(g, c.hist, &c.s, lt);
            CML_CHECK(cat_set_of(b, f, lt, tree, &cat_off));
        }
        n_split++;
        CML_CHECK(tree_add(tree, depth + 1, c.s.GL, c.s.HL, 0, 0));
        CML_CHECK(tree_add(tree, depth + 1, c.s.GR, c.s.HR, 0, 0));
        CML_CHECK(route_reserve(g, tree->n));
        gbm_tnode *pn = &tree->nodes[id];
        pn->feature = f;
        pn->tbin = c.s.tbin;
        pn->default_left = c.s.default_left;
        pn->thr = c.s.cat ? NAN : gbm_cut_threshold(&b->cuts, f, c.s.tbin);
        pn->cat_off = cat_off;
        pn->left = lid;
        pn->gain = c.s.loss_chg;
        g->route[id] = (gbm_route){lid, f, c.s.tbin, c.s.default_left ? b->nbins[f] : -1, lt};
        g->lv.num_leaves++;
        if (g->cons) CML_CHECK(cons_split(g, id, lid, f, &c.s));
        if (!can_split_depth(p, depth + 1) ||
            (p->max_leaves > 0 && g->lv.num_leaves >= p->max_leaves)) {
            hist_put(g, c.hist);
            continue;
        }
        g->exp[n_exp++] = (struct lvl_split){id, lid, c.hist, c.s.HL <= c.s.HR};
    }
    if (n_split == 0) return CML_OK;
    /* Even with no histogram to build (n_exp = 0), the pass moves the rows
     * to their final leaves. */
    CML_CHECK(scratch_reserve(g, n_exp));
    for (int j = 0; j < n_exp; j++) {
        CML_CHECK(hist_get(g, &g->lvl_out[j]));
        g->slot[g->exp[j].lid + !g->exp[j].small_left] = j;
    }
    g->lv.n_exp = g->lv.n_out = n_exp;
    *pass = 1;
    return CML_OK;
}

/* After a failure: nothing queued survives. Histogram buffers in flight
 * stay in all_hist (freed with the grower); the slots are reset at the next
 * lv_begin. */
static void lv_abort(gbm_grower *g)
{
    g->n_queue = 0;
}

static cml_status grow_levels(gbm_grower *g, const double *gh, const int32_t *rows_in, int64_t n,
                              const uint8_t *tree_use, cml_rng *rng, gbm_tree *tree)
{
    int pass;
    cml_status st = lv_begin(g, gh, rows_in, n, tree_use, rng, tree, &pass);
    while (st == CML_OK && pass) {
        const gbm_level_job job = lv_job(g);
        gbm_hist_level(g->b, &job, 1);
        st = lv_after(g, &pass);
    }
    if (st != CML_OK) lv_abort(g);
    return st;
}

/* A new tree: the root node, the tree's usable features in g->tree_act. */
static cml_status tree_begin(gbm_grower *g, const uint8_t *tree_use, int64_t n, gbm_tree *tree)
{
    const gbm_binned *b = g->b;
    tree->n = 0;
    tree->n_words = 0;
    tree->rows = g->rows;
    tree->pos = NULL;
    g->n_queue = 0;
    for (int64_t f = 0; f < b->cols; f++)
        g->tree_act[f] = b->active[f] && (!tree_use || tree_use[f]);
    return tree_add(tree, 0, 0.0, 0.0, 0, n); /* G, H: root_init */
}

int gbm_grower_lockstep(const gbm_grower *g)
{
    return use_levels(g) && g->p->colsample_bynode >= 1.0;
}

cml_status gbm_grow_trees(gbm_grower *const *gs, int K, const double *const *gh,
                          const int32_t *const *rows, const int64_t *n,
                          const uint8_t *const *tree_use, gbm_tree *trees)
{
    cml_status st = CML_OK;
    gbm_level_job *jobs = cml_alloc_array(K, sizeof *jobs);
    int *pass = cml_alloc_array(K, sizeof *pass);
    cml_status *kst = cml_calloc((size_t)K, sizeof *kst); /* zero: CML_OK */
    if (!jobs || !pass || !kst) {
        st = CML_ERR_NOMEM;
        goto done;
    }
    for (int k = 0; k < K && st == CML_OK; k++) {
        st = tree_begin(gs[k], tree_use[k], n[k], &trees[k]);
        if (st == CML_OK)
            st = lv_begin(gs[k], gh[k], rows[k], n[k], gs[k]->tree_act, NULL, &trees[k], &pass[k]);
    }
    while (st == CML_OK) {
        int nj = 0;
        for (int k = 0; k < K; k++)
            if (pass[k]) jobs[nj++] = lv_job(gs[k]);
        if (nj == 0) break;
        gbm_hist_level(gs[0]->b, jobs, nj);
        /* The trees' split searches in parallel: each touches only its own
         * grower and tree, draws no random number (lockstep), and at these
         * histogram sizes runs no parallel loop of its own. */
#pragma omp parallel for CML_OMP_THREADS schedule(dynamic, 1) if (nj > 1)
        for (int k = 0; k < K; k++)
            if (pass[k]) kst[k] = lv_after(gs[k], &pass[k]);
        for (int k = 0; k < K && st == CML_OK; k++)
            st = kst[k];
    }
    for (int k = 0; k < K; k++)
        if (st == CML_OK)
            leaf_values(gs[k], &trees[k]);
        else
            lv_abort(gs[k]);
done:
    free(jobs);
    free(pass);
    free(kst);
    return st;
}

cml_status gbm_grow_tree(gbm_grower *g, const double *gh, const int32_t *rows_in, int64_t n,
                         const uint8_t *tree_use, cml_rng *rng, gbm_tree *tree)
{
    const cml_gbm_params *p = g->p;
    const gbm_binned *b = g->b;
    cml_status st = CML_OK;
    double *hist = NULL;
    CML_TRY(tree_begin(g, tree_use, n, tree));
    tree_use = g->tree_act;
    if (use_levels(g)) {
        CML_TRY(grow_levels(g, gh, rows_in, n, tree_use, rng, tree));
        leaf_values(g, tree);
        return CML_OK;
    }
    if (!g->rows) { /* the per-node path's row lists, made on first use */
        g->rows = cml_alloc_array(b->rows + 1, sizeof *g->rows);
        g->tmp = cml_alloc_array(b->rows + 1, sizeof *g->tmp);
        g->chunk_left = cml_alloc_array(b->rows / PART_CHUNK + 2, sizeof *g->chunk_left);
        if (!g->rows || !g->tmp || !g->chunk_left) {
            free(g->rows);
            free(g->tmp);
            free(g->chunk_left);
            g->rows = g->tmp = NULL;
            g->chunk_left = NULL;
            return CML_ERR_NOMEM;
        }
    }
    tree->rows = g->rows;
    memcpy(g->rows, rows_in, (size_t)n * sizeof *g->rows);
    if (!can_split_depth(p, 0) || n == 0)
        CML_TRY(root_init(g, tree, NULL, tree_use, gh, rows_in, n));
    int num_leaves = 1;
    if (can_split_depth(p, 0) && n > 0) {
        CML_TRY(hist_get(g, &hist));
        gbm_hist_build(b, gh, g->rows, n, tree_use, hist);
        CML_TRY(root_init(g, tree, hist, tree_use, gh, rows_in, n));
        gbm_split s = eval_node(g, hist, &tree->nodes[0], 0, node_features(g, tree_use, rng));
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
        const uint8_t *lt = NULL;
        int64_t cat_off = -1;
        if (c.s.cat) {
            cat_left_table(g, c.hist, &c.s, g->cat_lt);
            lt = g->cat_lt;
            CML_TRY(cat_set_of(b, c.s.feature, lt, tree, &cat_off));
        }
        int64_t nleft = partition(g, nd.begin, nd.end, c.s.feature, c.s.tbin, c.s.default_left, lt);
        CML_TRY(tree_add(tree, nd.depth + 1, c.s.GL, c.s.HL, nd.begin, nd.begin + nleft));
        CML_TRY(tree_add(tree, nd.depth + 1, c.s.GR, c.s.HR, nd.begin + nleft, nd.end));
        gbm_tnode *pn = &tree->nodes[id];
        pn->feature = c.s.feature;
        pn->tbin = c.s.tbin;
        pn->default_left = c.s.default_left;
        pn->thr = c.s.cat ? NAN : gbm_cut_threshold(&b->cuts, c.s.feature, c.s.tbin);
        pn->cat_off = cat_off;
        pn->left = lid;
        pn->gain = c.s.loss_chg;
        num_leaves++;
        if (g->cons) CML_TRY(cons_split(g, id, lid, c.s.feature, &c.s));

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
        gbm_split sl = eval_node(g, hl, &tree->nodes[lid], lid, node_features(g, tree_use, rng));
        CML_TRY(queue_push(g, lid, hl, &sl));
        gbm_split sr =
            eval_node(g, hr, &tree->nodes[lid + 1], lid + 1, node_features(g, tree_use, rng));
        CML_TRY(queue_push(g, lid + 1, hr, &sr));
    }
    leaf_values(g, tree);
    return CML_OK;
fail:
    hist_put(g, hist);
    for (int i = 0; i < g->n_queue; i++)
        hist_put(g, g->queue[i].hist);
    g->n_queue = 0;
    return st;
}
