/*
 * gbm_internal.h — the pieces of histogram gradient boosting shared by
 * gbm_bin.c (quantile cuts, binned matrix), gbm_hist.c (gradient
 * histograms), gbm_tree.c (split finding and tree growth), gbm_objective.c
 * (gradients, links, metrics), gbm_model.c (the fitted ensemble) and gbm.c
 * (the boosting loop and the estimators). Private to libcml.
 */
#ifndef CML_ENSEMBLE_GBM_INTERNAL_H
#define CML_ENSEMBLE_GBM_INTERNAL_H

#include <stdint.h>

#include "cml/gbm.h"
#include "tree/treeshap.h"

/* ---------------------------------------------------------------- bins */

/*
 * Quantile cuts of every feature, XGBoost's HistogramCuts: feature f owns
 * cuts values[ptr[f] .. ptr[f+1]), ascending upper bounds; a value x falls
 * in bin b = #(cuts <= x), so bin b holds [cut[b-1], cut[b]). The last cut
 * lies above the feature's maximum, so every training value has a bin
 * < nbins(f). min_values[f] lies below the minimum (the threshold of a split
 * that sends only missing values left).
 */
typedef struct gbm_cuts {
    int64_t n_features;
    int32_t *ptr;       /* (n_features + 1) */
    double *values;     /* (ptr[n_features]) */
    double *min_values; /* (n_features) */
} gbm_cuts;

/*
 * The training matrix as bin indices, row-major (rows, cols): u8 when every
 * feature's bins plus its missing bin fit in 256, else u16. A missing value
 * (NaN) has bin nbins(f). Histograms are laid out by hoff: feature f's bins
 * are hist slots hoff[f] .. hoff[f] + nbins(f), the last one for missing.
 */
typedef struct gbm_binned {
    int64_t rows, cols;
    int wide;        /* 0: b8, 1: b16 */
    uint8_t *b8;     /* (rows, cols) or NULL */
    uint16_t *b16;   /* (rows, cols) or NULL */
    int32_t *hoff;   /* (cols + 1): histogram offset of each feature */
    int32_t *nbins;  /* (cols): bins without the missing one */
    uint8_t *active; /* (cols): 1 if a split on f is possible (2+ bins, or NaN) */
    int32_t n_slots; /* hoff[cols] */
    /* (cols) 1 for a categorical feature, or NULL when there is none. A
     * categorical feature has one bin per distinct category seen: bin b is
     * category cuts.values[ptr[f] + b] (ascending), max_bin does not apply. */
    uint8_t *is_cat;
    gbm_cuts cuts;
} gbm_binned;

/* Largest category code cml accepts (XGBoost's limit: exact in float32). */
#define GBM_MAX_CAT 16777215.0

/* Cuts from X (NaN skipped; sample weights w or NULL) and the binned
 * matrix. max_bin >= 2. is_cat (cols) or NULL marks categorical features,
 * whose values must be integer codes in [0, GBM_MAX_CAT] or NaN
 * (CML_ERR_ARG naming categorical_features otherwise). Parallel over
 * features; deterministic. */
cml_status gbm_binned_build(const cml_matrix *X, const double *w, int max_bin,
                            const uint8_t *is_cat, gbm_binned *out);
void gbm_binned_free(gbm_binned *b);
/* CML_ERR_ARG unless the columns with is_cat[f] hold integer codes in
 * [0, GBM_MAX_CAT] or NaN. */
cml_status gbm_check_categories(const cml_matrix *X, const uint8_t *is_cat);
/* Bin of row r, feature f. */
static inline int32_t gbm_bin_at(const gbm_binned *b, int64_t r, int64_t f)
{
    return b->wide ? b->b16[r * b->cols + f] : b->b8[r * b->cols + f];
}
/* Raw threshold for "left iff bin < t". */
double gbm_cut_threshold(const gbm_cuts *c, int64_t f, int32_t t);

/* ---------------------------------------------------------------- histograms */

/*
 * hist: (n_slots) pairs (G, H), doubles. gh: per training row (g, h) pairs.
 * Builds the histogram of rows[0..n) over the features with use[f] != 0
 * (use NULL = all); slots of other features are left untouched. Each
 * feature's slots are summed by one thread in row order, so the result is
 * independent of the thread count.
 */
void gbm_hist_build(const gbm_binned *b, const double *gh, const int32_t *rows, int64_t n,
                    const uint8_t *use, double *hist);
/* out = parent - child over all slots (the subtraction trick). */
void gbm_hist_subtract(const double *parent, const double *child, int32_t n_slots, double *out);

/*
 * Level pass (depthwise growth on narrow data): the rows' node positions
 * pos[r] (one per row of the binned matrix; ~id for a row outside the
 * tree's sample, routed but never counted) move from every node split this
 * level to its child, and the histograms of the nodes with slot[id] = s >= 0
 * go to out[s] (n_out of them) in the same sequential scan. Rows are cut in
 * chunks whose count depends only on (rows, n_out, n_slots); each chunk sums
 * into its own histograms, reduced in chunk order, so the result is
 * independent of the thread count.
 */
typedef struct gbm_route {
    /* left child id of a node split this level; a node not split routes to
     * itself: left = its id, tbin = INT32_MAX, feature 0, miss_left -1 */
    int32_t left;
    /* the split: left iff lt[bin] (categorical), or bin < tbin, or bin =
     * miss_left (the missing bin nbins when missing values go left, else -1) */
    int32_t feature, tbin, miss_left;
    const uint8_t *lt; /* per bin "goes left" of a categorical split, else NULL */
} gbm_route;
/* Doubles of chunk scratch gbm_hist_level needs for n_out histograms. */
int64_t gbm_hist_level_scratch(const gbm_binned *b, int n_out);
/* One tree's level pass. feats[0..nf): the features whose slots are summed
 * (others are zero). root != 0: the first pass of a tree, nothing split:
 * every row with pos >= 0 counts in out[0], pos and route are left alone.
 * scratch: gbm_hist_level_scratch(b, n_out) doubles. */
typedef struct gbm_level_job {
    const double *gh;
    int32_t *pos;
    const gbm_route *route;
    const int32_t *slot;
    double *const *out;
    int n_out;
    const int32_t *feats;
    int nf, root;
    double *scratch;
} gbm_level_job;
/* The level passes of n_jobs trees (over the same binned matrix) in one
 * parallel region; each job's result is what it would be alone. */
void gbm_hist_level(const gbm_binned *b, const gbm_level_job *jobs, int n_jobs);

/* ---------------------------------------------------------------- trees */

/* The split rule of XGBoost's TrainParam (param.h): gain, weight. */
double gbm_calc_weight(const cml_gbm_params *p, double G, double H);
double gbm_calc_gain(const cml_gbm_params *p, double G, double H);

/* A node of a tree while it grows (ids in creation order, XGBoost's). */
typedef struct gbm_tnode {
    int32_t feature; /* -1 for a leaf */
    int32_t tbin;    /* left iff bin < tbin */
    int32_t left;    /* left child id (right = left + 1), -1 for a leaf */
    int32_t depth;
    int default_left;   /* missing goes left */
    double thr;         /* raw threshold: left iff x < thr */
    double value;       /* leaf weight x learning rate */
    double gain;        /* loss change of the split */
    double G, H;        /* gradient / hessian sums (H = cover) */
    int64_t begin, end; /* its rows: grower rows[begin .. end) */
    int64_t cat_off;    /* categorical split: its set at gbm_tree.cat_words + cat_off; else -1 */
} gbm_tnode;

/* A categorical split's category set, {n_words, bits[n_words]}: category c
 * is bit c % 32 of bits[c / 32]. Routing is XGBoost 1.7's
 * common::Decision, see catset_goes_left (tree/treeshap.h). */
typedef struct gbm_tree {
    gbm_tnode *nodes;
    int n, cap;
    const int32_t *rows; /* the grower's partitioned row ids (node begin/end index them) */
    /* Or, when grown level by level (rows == NULL, begin = end = 0): the
     * node of every row of the binned matrix, ~node for a row outside the
     * tree's sample (routed like the others). */
    const int32_t *pos;
    uint32_t *cat_words; /* category sets of the categorical splits */
    int64_t n_words, cap_words;
} gbm_tree;

/* Appends a category set of n_words words (zeroed) to t; *off = its offset. */
cml_status gbm_tree_add_catset(gbm_tree *t, int64_t n_words, int64_t *off);

typedef struct gbm_grower gbm_grower;

/* Parsed monotone / interaction constraints (gbm_constraints.c). */
typedef struct gbm_constraints {
    int8_t *mono;   /* (n_features) -1/0/+1, or NULL when none is non-zero */
    int n_sets;     /* interaction sets; 0 = no interaction constraint */
    int64_t words;  /* 64-bit words per feature bitset */
    uint64_t *sets; /* (n_sets, words) bitsets, or NULL */
} gbm_constraints;

/* Parses p's monotone_constraints and interaction_constraints for
 * n_features columns (n_features < 0: syntax check only, nothing kept).
 * CML_ERR_ARG naming the parameter on bad text, a length over n_features or
 * an index out of range. Free with gbm_constraints_free. */
cml_status gbm_constraints_parse(const cml_gbm_params *p, int64_t n_features, gbm_constraints *out);
void gbm_constraints_free(gbm_constraints *c);

cml_status gbm_grower_new(const gbm_binned *b, const cml_gbm_params *p, gbm_grower **out);
void gbm_grower_free(gbm_grower *g);
/* Makes the grower honour c (borrowed; must outlive the grower). */
void gbm_grower_set_constraints(gbm_grower *g, const gbm_constraints *c);
/* on != 0: every tree keeps its row ranges (rows, begin / end), as the leaf
 * refit of adaptive objectives needs; else narrow data grows depthwise
 * trees level by level and gives pos. */
void gbm_grower_keep_rows(gbm_grower *g, int on);
/*
 * Grows one tree on the rows rows[0..n) of the binned matrix with gradient
 * pairs gh (indexed by row id), over the features with tree_use[f] != 0
 * (NULL = all; colsample_bynode samples among them with rng). Leaf values
 * are CalcWeight x learning_rate. The tree's row ranges stay valid until the
 * next call.
 */
cml_status gbm_grow_tree(gbm_grower *g, const double *gh, const int32_t *rows, int64_t n,
                         const uint8_t *tree_use, cml_rng *rng, gbm_tree *tree);
/* Whether g grows its trees level by level without drawing random numbers
 * (depthwise on narrow data, colsample_bynode = 1): the trees of one round
 * can then grow together, gbm_grow_trees. */
int gbm_grower_lockstep(const gbm_grower *g);
/* K trees at once, tree k by grower gs[k] (all over the same binned matrix,
 * gbm_grower_lockstep true) on rows rows[k][0..n[k]) with gradients gh[k]
 * and features tree_use[k] (NULL = all): the trees gbm_grow_tree would grow
 * one after the other, bit for bit, with one parallel region per level for
 * all of them. Their pos arrays are the growers'. */
cml_status gbm_grow_trees(gbm_grower *const *gs, int K, const double *const *gh,
                          const int32_t *const *rows, const int64_t *n,
                          const uint8_t *const *tree_use, gbm_tree *trees);
void gbm_tree_free(gbm_tree *t);

/* ---------------------------------------------------------------- objectives */

typedef struct gbm_objective {
    cml_gbm_objective kind;
    int n_outputs; /* margins per row */
    double huber_slope, quantile_alpha;
    double poisson_max_delta_step; /* hessian shift of count:poisson (0.7) */
} gbm_objective;

/* gh (n_outputs, n, 2): gradient pairs of output k at gh + 2 n k. y holds
 * class indices (0..K-1) for classifiers. w: sample weights or NULL. */
void gbm_obj_gradients(const gbm_objective *o, const double *margin, const double *y,
                       const double *w, int64_t n, double *gh);
/* Base margin from base_score; for absolute/quantile error XGBoost 1.7
 * estimates the (weighted) quantile of y instead. */
double gbm_obj_base_margin(const gbm_objective *o, double base_score, const double *y,
                           const double *w, int64_t n);
/* Whether leaves are refit to residual quantiles after growth (L1, quantile). */
int gbm_obj_adaptive(const gbm_objective *o);
/* The quantile level an adaptive objective refits to. */
double gbm_obj_leaf_alpha(const gbm_objective *o);
/* A value and its weight, for quantiles. */
typedef struct gbm_vw {
    double v, w;
} gbm_vw;
/* XGBoost's common::Quantile (weighted = 0) / WeightedQuantile over a[0..n),
 * n > 0; sorts a by value. */
double gbm_quantile(double alpha, gbm_vw *a, int64_t n, int weighted);
/* Link: margins (n_outputs) of one row -> predictions (n_outputs). */
void gbm_obj_transform(const gbm_objective *o, const double *margin, double *out);
/* Default eval metric of an objective. */
cml_gbm_metric gbm_obj_default_metric(const gbm_objective *o);
/* Metric over margins (n, n_outputs); lower is better for every metric. */
double gbm_metric_eval(cml_gbm_metric m, const gbm_objective *o, const double *margin,
                       const double *y, const double *w, int64_t n);
/* gbm_metric_eval and gbm_obj_gradients (when gh is not NULL) in one pass
 * over the rows (the link evaluated once per row): same results. */
double gbm_metric_and_gradients(cml_gbm_metric m, const gbm_objective *o, const double *margin,
                                const double *y, const double *w, int64_t n, double *gh);
const char *gbm_metric_name(cml_gbm_metric m);
/* XGBoost's name of an objective ("reg:squarederror"...). */
const char *gbm_objective_name(cml_gbm_objective o);

/* ---------------------------------------------------------------- ordered target statistics */

/* CatBoost's ordered TS (gbm_ts.c): per encoded feature, the statistic of
 * each code 0 .. ptr[k+1]-ptr[k]-1 over all training rows. */
typedef struct gbm_ts {
    int64_t n;        /* encoded features (0: none) */
    int32_t *feature; /* (n) their columns */
    int64_t *ptr;     /* (n + 1) table offsets */
    double *values;   /* (ptr[n]) */
    double prior;     /* the statistic of an unseen code */
} gbm_ts;

/* Xenc (rows, cols) = X with each is_cat column replaced by its ordered TS
 * over a permutation drawn from seed; t = the per-row target; the full-data
 * tables go to out. Codes must have passed gbm_check_categories. */
cml_status gbm_ts_fit(const cml_matrix *X, const double *t, const uint8_t *is_cat, double prior,
                      double prior_weight, uint64_t seed, double *Xenc, gbm_ts *out);
/* *out (malloc'd, rows x cols, dense) = X with the encoded columns
 * replaced by their statistic. */
cml_status gbm_ts_apply(const gbm_ts *ts, const cml_matrix *X, double **out);
void gbm_ts_free(gbm_ts *ts);

/* ---------------------------------------------------------------- model */

/* A node of the flat, fitted layout: 16 bytes, children adjacent. A leaf
 * is a fixed point of the walk (threshold +inf, left = itself, NaN goes
 * left), so a block of rows can walk a tree in lock-step for `depth` steps
 * with no per-row exit test; its value is in cml_gbm.leaf. */
typedef struct gbm_node {
    double value;     /* split: threshold (left iff x < value); categorical split: offset of
                         its set in cml_gbm.cat_sets; leaf: +inf */
    int32_t left;     /* absolute index of the left child (right = left + 1); leaf: itself */
    uint32_t feature; /* split feature | GBM_CATEGORICAL | GBM_DEFAULT_LEFT */
} gbm_node;
#define GBM_DEFAULT_LEFT 0x80000000u
#define GBM_CATEGORICAL  0x40000000u
#define GBM_FEATURE_MASK 0x3fffffffu
#define GBM_MAX_FEATURES ((int64_t)1 << 30)

struct cml_gbm {
    int64_t n_features;
    gbm_objective obj;
    cml_gbm_metric metric;
    double base_margin;
    int64_t n_classes;
    double *classes; /* (n_classes) or NULL */
    int n_rounds, best_iteration;
    int n_trees;       /* n_rounds x n_outputs; tree t is output t % n_outputs */
    int64_t *tree_ptr; /* (n_trees + 1) node offsets */
    gbm_node *nodes;   /* (tree_ptr[n_trees]) */
    double *leaf;      /* (tree_ptr[n_trees]) leaf values, 0 for splits */
    int32_t *depth;    /* (n_trees) depth of each tree */
    double *gain;      /* (tree_ptr[n_trees]) */
    double *cover;     /* (tree_ptr[n_trees]) */
    int64_t node_cap;
    int n_hist;         /* rounds in the eval history */
    double *hist_train; /* (n_hist) */
    double *hist_valid; /* (n_hist) or NULL */
    int trees_cap;
    /* Category sets of the categorical splits, each {n_words, bits...}
     * (gbm_tree's layout); n_cat_nodes = 0 keeps predict on its numeric
     * path. */
    uint32_t *cat_sets;
    int64_t n_cat_words, cat_cap;
    int64_t n_cat_nodes;
    gbm_ts ts; /* cat_encoding=ordered_ts: applied to X before the trees */
};

/* The set of categorical split node j (absolute index). */
static inline const uint32_t *gbm_node_catset(const cml_gbm *m, int64_t j)
{
    return m->cat_sets + (int64_t)m->nodes[j].value;
}

/* Appends a grown tree (local ids -> absolute). */
cml_status gbm_model_add_tree(cml_gbm *m, const gbm_tree *t);
/* Adds tree t's outputs to margin (rows, n_outputs) for the rows of X. */
void gbm_model_add_tree_margin(const cml_gbm *m, int t, const cml_matrix *X, double *margin);
/* Keeps only the first n_rounds rounds. */
void gbm_model_truncate(cml_gbm *m, int n_rounds);
cml_status gbm_model_save(const cml_gbm *m, cml_gguf_writer *w);
cml_status gbm_model_load(const cml_gguf *g, cml_gbm **out);
char *gbm_model_describe(const cml_gbm *m);

#endif
