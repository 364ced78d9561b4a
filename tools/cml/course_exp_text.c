/*
 * course_exp_text.c — the experiments on real text: 2,200 SpamAssassin
 * mails (data/text/spam.csv, columns text,label; 700 spam, 1,500 ham),
 * split 75/25 stratified with seed 42. The vectorizer is fitted on the
 * training mails only.
 *
 *  naive-bayes: word counts (min_df = 2, 3,000 most frequent terms) and
 *    Multinomial Naive Bayes: accuracy, spam precision/recall, the errors
 *    of each kind, the most telling words (log-probability difference), and
 *    accuracy vs the smoothing alpha.
 *  text-classification: TF-IDF features, logistic regression vs
 *    Multinomial NB side by side (accuracy, precision, recall, F1, fit
 *    time), the words with the largest logistic weights, and test F1 vs
 *    max_features.
 *  tokenization: words vs character 3-grams vs character 3-grams inside
 *    word boundaries (char_wb): vocabulary size, tokens per mail,
 *    vocabulary growth as more mails are read, the spam filter's accuracy
 *    with each, and the first tokens of a sample mail.
 *
 * Vectorizers through include/cml/text.h (CSR), models through the generic
 * cml_model layer on the dense copy (a few MB at these sizes).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "course_exp.h"

#define SPAM 1.0 /* label levels sort as ham (0), spam (1) */

static cml_status oom(void)
{
    return cml_fail(CML_ERR_NOMEM, "course: out of memory");
}

/* The mails, split. docs point into the table's levels. */
typedef struct mails {
    cml_table *t;
    const char **tr_docs, **te_docs;
    double *ytr, *yte;
    int64_t ntr, nte;
} mails;

static void mails_free(mails *m)
{
    cml_table_free(m->t);
    free(m->tr_docs);
    free(m->te_docs);
    free(m->ytr);
    free(m->yte);
    memset(m, 0, sizeof *m);
}

/* quick: a stratified quarter of the mails (550). */
static cml_status mails_load(const course_run *r, mails *m)
{
    memset(m, 0, sizeof *m);
    char path[4200];
    snprintf(path, sizeof path, "%s/text/spam.csv", r->data_dir);
    cml_csv_opts o = cml_csv_opts_default();
    cml_status st = cml_csv_read(path, &o, &m->t);
    if (st != CML_OK) return st;
    int64_t tc = cml_table_find(m->t, "text"), lc = cml_table_find(m->t, "label");
    if (tc < 0 || lc < 0 || m->t->columns[tc].kind != CML_COL_CATEGORICAL ||
        m->t->columns[lc].n_levels != 2 || strcmp(m->t->columns[lc].levels[1], "spam")) {
        mails_free(m);
        return cml_fail(CML_ERR_FORMAT, "%s: expected columns text and label (ham/spam)", path);
    }
    int64_t n = m->t->rows, cols = m->t->cols, *tr = NULL, *te = NULL, *sub = NULL, ns = 0;
    double *y = malloc(sizeof *y * (size_t)n);
    if (!y) {
        mails_free(m);
        return oom();
    }
    for (int64_t i = 0; i < n; i++)
        y[i] = m->t->data[i * cols + lc];
    if (r->quick) { /* keep the test part of a 25% stratified split as the data */
        int64_t *rest = NULL, nrest;
        st = cml_train_test_split(n, 0.25, y, 1, 7, &rest, &nrest, &sub, &ns);
        free(rest);
    } else {
        ns = n;
        sub = malloc(sizeof *sub * (size_t)n);
        if (!sub) st = oom();
        for (int64_t i = 0; sub && i < n; i++)
            sub[i] = i;
    }
    double *ys = NULL;
    if (st == CML_OK) st = cml_take_vals(y, sub, ns, &ys);
    if (st == CML_OK) st = cml_train_test_split(ns, 0.25, ys, 1, 42, &tr, &m->ntr, &te, &m->nte);
    if (st == CML_OK) {
        m->tr_docs = malloc(sizeof *m->tr_docs * (size_t)m->ntr);
        m->te_docs = malloc(sizeof *m->te_docs * (size_t)m->nte);
        m->ytr = malloc(sizeof *m->ytr * (size_t)m->ntr);
        m->yte = malloc(sizeof *m->yte * (size_t)m->nte);
        if (!m->tr_docs || !m->te_docs || !m->ytr || !m->yte) st = oom();
    }
    const cml_column *text = &m->t->columns[tc];
    for (int64_t i = 0; st == CML_OK && i < m->ntr; i++) {
        int64_t row = sub[tr[i]];
        m->tr_docs[i] = text->levels[(int64_t)m->t->data[row * cols + tc]];
        m->ytr[i] = y[row];
    }
    for (int64_t i = 0; st == CML_OK && i < m->nte; i++) {
        int64_t row = sub[te[i]];
        m->te_docs[i] = text->levels[(int64_t)m->t->data[row * cols + tc]];
        m->yte[i] = y[row];
    }
    free(y);
    free(ys);
    free(sub);
    free(tr);
    free(te);
    if (st != CML_OK) mails_free(m);
    return st;
}

/* Features of the mails: a fitted vectorizer (TfidfVectorizer with the
 * given parameters; counts are use_idf=false;norm=none) and dense copies. */
typedef struct features {
    cml_tfidf *vec;
    double *Xtr, *Xte; /* (ntr, p), (nte, p) */
    int64_t p;
} features;

static void features_free(features *f)
{
    cml_tfidf_free(f->vec);
    free(f->Xtr);
    free(f->Xte);
    memset(f, 0, sizeof *f);
}

static cml_status vectorize(const mails *m, const char *params, features *f)
{
    memset(f, 0, sizeof *f);
    cml_tfidf_params p = cml_tfidf_params_default();
    char buf[256];
    snprintf(buf, sizeof buf, "%s", params);
    char *save = NULL;
    cml_status st = CML_OK;
    for (char *kv = strtok_r(buf, ";", &save); kv && st == CML_OK;
         kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) return cml_fail(CML_ERR_INTERNAL, "course: bad vectorizer parameter %s", kv);
        *eq = '\0';
        st = cml_tfidf_params_set(&p, kv, eq + 1);
    }
    cml_csr_owned *A = NULL, *B = NULL;
    if (st == CML_OK) st = cml_tfidf_fit_transform(&p, m->tr_docs, m->ntr, &f->vec, &A);
    if (st == CML_OK) st = cml_tfidf_transform(f->vec, m->te_docs, m->nte, &B);
    cml_csr va, vb;
    if (st == CML_OK) {
        va = cml_csr_owned_view(A);
        vb = cml_csr_owned_view(B);
        st = cml_csr_to_dense(&va, &f->Xtr);
    }
    if (st == CML_OK) st = cml_csr_to_dense(&vb, &f->Xte);
    if (st == CML_OK) f->p = cml_tfidf_n_features(f->vec);
    cml_csr_owned_free(A);
    cml_csr_owned_free(B);
    if (st != CML_OK) features_free(f);
    return st;
}

/* The split as cr_split views (borrowed: do not free). */
static cr_split as_split(const mails *m, const features *f)
{
    cr_split s = {f->Xtr, f->Xte, m->ytr, m->yte, m->ntr, m->nte, f->p};
    return s;
}

/* Scores of predictions for spam as the positive class. */
typedef struct scores {
    double acc, prec, rec, f1;
    int64_t ham_flagged, spam_missed, n_ham, n_spam;
} scores;

static cml_status score(const double *y, const double *pred, int64_t n, scores *s)
{
    memset(s, 0, sizeof *s);
    cml_status st = cml_accuracy(y, pred, n, NULL, &s->acc);
    if (st == CML_OK)
        st = cml_precision_recall_f1(y, pred, n, NULL, CML_AVERAGE_BINARY, SPAM, &s->prec, &s->rec,
                                     &s->f1);
    for (int64_t i = 0; i < n; i++) {
        int spam = y[i] == SPAM;
        s->n_spam += spam;
        s->n_ham += !spam;
        s->ham_flagged += !spam && pred[i] == SPAM;
        s->spam_missed += spam && pred[i] != SPAM;
    }
    return st;
}

static cml_status note_errors(course_run *r, const char *model, const scores *s)
{
    return cr_note(r, "%s: %lld of %lld ham mails flagged as spam, %lld of %lld spams let through.",
                   model, (long long)s->ham_flagged, (long long)s->n_ham, (long long)s->spam_missed,
                   (long long)s->n_spam);
}

/* Fits algo on the features and scores the test part. */
static cml_status fit_score(const mails *m, const features *f, const char *algo, const char *params,
                            cml_model **out, scores *s, double *seconds)
{
    cml_model *mod = NULL;
    double *pred = NULL;
    cr_split sp = as_split(m, f);
    cml_status st = cr_model(algo, params, 0, &mod);
    double t0 = cml_now();
    if (st == CML_OK) st = cr_fit_predict(mod, &sp, &pred);
    if (seconds) *seconds = cml_now() - t0;
    if (st == CML_OK) st = score(m->yte, pred, m->nte, s);
    free(pred);
    if (st == CML_OK && out)
        *out = mod;
    else
        cml_model_free(mod);
    return st;
}

/* Indices of the k largest values of v (n), largest first. */
static void top_k(const double *v, int64_t n, int k, int64_t *idx)
{
    for (int i = 0; i < k; i++)
        idx[i] = -1;
    for (int64_t j = 0; j < n; j++) {
        int pos = k;
        while (pos > 0 && (idx[pos - 1] < 0 || v[j] > v[idx[pos - 1]]))
            pos--;
        if (pos >= k) continue;
        memmove(idx + pos + 1, idx + pos, sizeof *idx * (size_t)(k - pos - 1));
        idx[pos] = j;
    }
}

/* Table of the k terms most on the spam side and most on the ham side of
 * a per-term weight w (spam-leaning = large). */
static cml_status telling_words(course_run *r, const cml_tfidf *vec, const double *w, int64_t p,
                                const char *what)
{
    enum { K = 12 };
    int64_t hi[K], lo[K];
    double *neg = malloc(sizeof *neg * (size_t)p);
    if (!neg) return oom();
    for (int64_t j = 0; j < p; j++)
        neg[j] = -w[j];
    top_k(w, p, K, hi);
    top_k(neg, p, K, lo);
    free(neg);
    char c1[96], c2[96];
    snprintf(c1, sizeof c1, "spam-leaning word (%s)", what);
    snprintf(c2, sizeof c2, "ham-leaning word (%s)", what);
    const char *cols[] = {"rank", c1, c2};
    cml_status st = cr_table(r, 3, cols);
    for (int i = 0; i < K && st == CML_OK; i++)
        st = cr_row(
            r, "%d\t%s (%.2f)\t%s (%.2f)", i + 1,
            hi[i] >= 0 ? cml_tfidf_feature_name(vec, hi[i]) : "-", hi[i] >= 0 ? w[hi[i]] : 0,
            lo[i] >= 0 ? cml_tfidf_feature_name(vec, lo[i]) : "-", lo[i] >= 0 ? w[lo[i]] : 0);
    return st;
}

static const char count_params[] = "use_idf=false;norm=none;min_df=2;max_features=3000";

/* ---------------------------------------------------------------- naive Bayes */

static cml_status exp_naive_bayes(course_run *r)
{
    mails m;
    features f = {0};
    cml_model *nb = NULL;
    double *diff = NULL;
    cml_status st = mails_load(r, &m);
    if (st != CML_OK) return st;
    cr_progress(r, 0.1, "counting words in %lld training mails", (long long)m.ntr);
    if ((st = vectorize(&m, count_params, &f))) goto done;
    scores s;
    if ((st = fit_score(&m, &f, "multinomial_nb", "alpha=1", &nb, &s, NULL))) goto done;
    if ((st = cr_metric(r, "accuracy", "test accuracy (alpha = 1)", s.acc)) ||
        (st = cr_metric(r, "precision_spam", "precision for spam", s.prec)) ||
        (st = cr_metric(r, "recall_spam", "recall for spam", s.rec)) ||
        (st = cr_metric(r, "vocabulary", "words in the vocabulary", (double)f.p)) ||
        (st = note_errors(r, "Multinomial NB", &s)))
        goto done;
    /* log P(word | spam) - log P(word | ham) */
    const double *flp = cml_discrete_nb_feature_log_prob(cml_model_state(nb));
    if (!(diff = malloc(sizeof *diff * (size_t)f.p))) {
        st = oom();
        goto done;
    }
    for (int64_t j = 0; j < f.p; j++)
        diff[j] = flp[f.p + j] - flp[j];
    if ((st = telling_words(r, f.vec, diff, f.p, "log-prob difference"))) goto done;

    /* accuracy vs alpha */
    int na = r->quick ? 4 : 9;
    double la[9], acc[9];
    cr_split sp = as_split(&m, &f);
    for (int i = 0; i < na; i++)
        la[i] = -4 + 5.0 * i / (na - 1); /* alpha from 1e-4 to 10 */
    double alphas[9];
    for (int i = 0; i < na; i++)
        alphas[i] = pow(10, la[i]);
    if ((st = cr_sweep(r, &sp, "multinomial_nb", "", "alpha", alphas, na, 0, NULL, acc, 0.4, 0.95)))
        goto done;
    int best = 0, worst = 0;
    for (int i = 1; i < na; i++) {
        if (acc[i] > acc[best]) best = i;
        if (acc[i] < acc[worst]) worst = i;
    }
    if ((st = cr_note(r,
                      "Across alpha from 0.0001 to 10 the test accuracy ranges over %.3f..%.3f; "
                      "the best is at alpha = %g.",
                      acc[worst], acc[best], alphas[best])))
        goto done;
    static const char *const an[] = {"test accuracy"};
    if ((st = cml_plot_lines(cr_path(r, "accuracy_vs_alpha.png"), la, acc, 1, na, an,
                             "Multinomial NB on spam: accuracy vs smoothing", "log10(alpha)",
                             "test accuracy")) ||
        (st = cr_plot(r, "accuracy_vs_alpha.png", "Test accuracy vs smoothing alpha")))
        goto done;
done:
    cml_model_free(nb);
    free(diff);
    features_free(&f);
    mails_free(&m);
    return st;
}

/* ---------------------------------------------------------------- text classification */

static cml_status exp_text_classification(course_run *r)
{
    mails m;
    features f = {0};
    cml_model *lr = NULL;
    cml_status st = mails_load(r, &m);
    if (st != CML_OK) return st;
    cr_progress(r, 0.1, "TF-IDF of %lld training mails", (long long)m.ntr);
    if ((st = vectorize(&m, "min_df=2;max_features=3000;sublinear_tf=true", &f))) goto done;
    scores s_lr, s_nb;
    double t_lr, t_nb;
    /* TF-IDF rows have unit norm: a weaker penalty than C = 1 fits them */
    if ((st = fit_score(&m, &f, "logistic_regression", "C=10;max_iter=1000", &lr, &s_lr, &t_lr)) ||
        (st = fit_score(&m, &f, "multinomial_nb", "alpha=0.1", NULL, &s_nb, &t_nb)))
        goto done;
    cr_progress(r, 0.5, "both models fitted");
    if ((st = cr_metric(r, "f1_logreg", "logistic regression: F1 for spam", s_lr.f1)) ||
        (st = cr_metric(r, "f1_nb", "Multinomial NB: F1 for spam", s_nb.f1)) ||
        (st = cr_metric(r, "accuracy_logreg", "logistic regression: test accuracy", s_lr.acc)) ||
        (st = cr_metric(r, "accuracy_nb", "Multinomial NB: test accuracy", s_nb.acc)) ||
        (st = note_errors(r, "Logistic regression", &s_lr)) ||
        (st = note_errors(r, "Multinomial NB", &s_nb)))
        goto done;
    (void)t_nb;
    int64_t nr, nf;
    const double *coef = cml_logreg_coef(cml_model_state(lr), &nr, &nf);
    if ((st = telling_words(r, f.vec, coef, nf, "logistic weight"))) goto done;
    if ((st = cr_note(r,
                      "Fit times on %lld mails x %lld terms: logistic regression %.3f s, "
                      "Multinomial NB %.3f s.",
                      (long long)m.ntr, (long long)f.p, t_lr, t_nb)))
        goto done;
    /* vocabulary size vs F1 */
    static const double full_mf[] = {30, 100, 300, 1000, 3000};
    int nm = r->quick ? 3 : 5;
    double mf[5], f1s[10];
    for (int i = 0; i < nm; i++) {
        char prm[128];
        features g;
        scores sl, sn;
        mf[i] = full_mf[r->quick ? 2 * i : i];
        snprintf(prm, sizeof prm, "min_df=2;max_features=%d;sublinear_tf=true", (int)mf[i]);
        if ((st = vectorize(&m, prm, &g))) goto done;
        st = fit_score(&m, &g, "logistic_regression", "C=10;max_iter=1000", NULL, &sl, NULL);
        if (st == CML_OK) st = fit_score(&m, &g, "multinomial_nb", "alpha=0.1", NULL, &sn, NULL);
        features_free(&g);
        if (st != CML_OK) goto done;
        f1s[i] = sl.f1;
        f1s[nm + i] = sn.f1;
        cr_progress(r, 0.5 + 0.45 * (i + 1) / nm, "max_features = %d", (int)mf[i]);
    }
    if ((st = cr_note(r,
                      "With only the %d most frequent terms logistic regression reaches F1 "
                      "%.3f; with %d terms, %.3f.",
                      (int)mf[0], f1s[0], (int)mf[nm - 1], f1s[nm - 1])))
        goto done;
    for (int i = 0; i < nm; i++)
        mf[i] = log10(mf[i]);
    static const char *const sn_[] = {"logistic regression", "Multinomial NB"};
    if ((st = cml_plot_lines(cr_path(r, "f1_vs_vocabulary.png"), mf, f1s, 2, nm, sn_,
                             "Spam filter: test F1 vs vocabulary size", "log10(max_features)",
                             "F1 for spam")) ||
        (st = cr_plot(r, "f1_vs_vocabulary.png", "Test F1 vs max_features, both models")))
        goto done;
done:
    cml_model_free(lr);
    features_free(&f);
    mails_free(&m);
    return st;
}

/* ---------------------------------------------------------------- tokenization */

static cml_status exp_tokenization(course_run *r)
{
    enum { NS = 3, NG = 6 };
    static const char *const names[NS] = {"words", "char 3-grams", "char_wb 3-grams"};
    static const char *const analyzer[NS] = {"word", "char", "char_wb"};
    static const char *const ngram[NS] = {"1,1", "3,3", "3,3"};
    static const int an_enum[NS] = {CML_TEXT_WORD, CML_TEXT_CHAR, CML_TEXT_CHAR_WB};
    mails m;
    cml_status st = mails_load(r, &m);
    if (st != CML_OK) return st;
    double growth[NS * NG], xs[NG];
    int64_t steps[NG];
    for (int g = 0; g < NG; g++) /* 1/32 .. all of the training mails */
        steps[g] = m.ntr >> (NG - 1 - g) > 0 ? m.ntr >> (NG - 1 - g) : 1;
    static const char *const cols[] = {"tokenization", "vocabulary", "tokens per mail",
                                       "spam filter accuracy", "first tokens of a sample mail"};
    if ((st = cr_table(r, 5, cols))) return st;
    /* the sample: the shortest training ham mail of at least 40 bytes */
    const char *sample_doc = NULL;
    for (int64_t i = 0; i < m.ntr; i++)
        if (m.ytr[i] != SPAM && strlen(m.tr_docs[i]) >= 40 &&
            (!sample_doc || strlen(m.tr_docs[i]) < strlen(sample_doc)))
            sample_doc = m.tr_docs[i];
    for (int k = 0; k < NS && st == CML_OK; k++) {
        char prm[128];
        cml_count_params cp = cml_count_params_default();
        cml_count *cv = NULL;
        cml_csr_owned *X = NULL;
        if ((st = cml_count_params_set(&cp, "analyzer", analyzer[k])) ||
            (st = cml_count_params_set(&cp, "ngram_range", ngram[k])))
            break;
        /* vocabulary and tokens per mail over the training mails */
        if ((st = cml_count_fit_transform(&cp, m.tr_docs, m.ntr, &cv, &X))) break;
        double tokens = 0;
        for (int64_t j = 0; j < X->nnz; j++)
            tokens += X->data[j];
        int64_t vocab = cml_count_n_features(cv);
        cml_csr_owned_free(X);
        cml_count_free(cv);
        /* growth: the vocabulary of the first m mails */
        for (int g = 0; g < NG && st == CML_OK; g++) {
            cml_count *c2 = NULL;
            xs[g] = (double)steps[g];
            st = cml_count_fit(&cp, m.tr_docs, steps[g], &c2);
            if (st == CML_OK) growth[k * NG + g] = (double)cml_count_n_features(c2);
            cml_count_free(c2);
        }
        if (st != CML_OK) break;
        /* the same spam filter on each tokenization */
        features f;
        scores sc;
        snprintf(prm, sizeof prm,
                 "analyzer=%s;ngram_range=%s;use_idf=false;norm=none;min_df=2;max_features=3000",
                 analyzer[k], ngram[k]);
        if ((st = vectorize(&m, prm, &f))) break;
        st = fit_score(&m, &f, "multinomial_nb", "alpha=1", NULL, &sc, NULL);
        features_free(&f);
        if (st != CML_OK) break;
        /* the first tokens of the sample, through the library's tokenizer */
        cml_sb sb;
        cml_sb_init(&sb);
        cml_tokenizer_opts o = cml_tokenizer_opts_default();
        o.analyzer = an_enum[k];
        o.ngram_min = o.ngram_max = k ? 3 : 1;
        cml_tokenizer *tk = NULL;
        cml_token_iter *it = NULL;
        st = cml_tokenizer_create(&o, &tk);
        if (st == CML_OK) st = cml_token_iter_create(tk, &it);
        if (st == CML_OK && sample_doc)
            st = cml_token_iter_begin(it, sample_doc, strlen(sample_doc));
        const char *tok;
        size_t tl;
        for (int t = 0; st == CML_OK && sample_doc && t < 8 && cml_token_iter_next(it, &tok, &tl);
             t++) {
            cml_sb_puts(&sb, t ? " | " : "");
            for (size_t c = 0; c < tl; c++) /* show spaces and newlines */
                cml_sb_printf(&sb, "%c", tok[c] == ' ' ? '_' : tok[c] == '\n' ? '/' : tok[c]);
        }
        cml_token_iter_free(it);
        cml_tokenizer_free(tk);
        char *shown = cml_sb_finish(&sb);
        if (st == CML_OK && !shown) st = oom();
        if (st == CML_OK)
            st = cr_row(r, "%s\t%lld\t%.0f\t%.3f\t%s", names[k], (long long)vocab,
                        tokens / (double)m.ntr, sc.acc, shown);
        if (st == CML_OK) {
            char key[64], label[96];
            snprintf(key, sizeof key, "accuracy_%s", analyzer[k]);
            snprintf(label, sizeof label, "%s: spam filter accuracy", names[k]);
            st = cr_metric(r, key, label, sc.acc);
            snprintf(key, sizeof key, "vocabulary_%s", analyzer[k]);
            snprintf(label, sizeof label, "%s: vocabulary size", names[k]);
            if (st == CML_OK) st = cr_metric(r, key, label, (double)vocab);
        }
        free(shown);
        cr_progress(r, 0.1 + 0.85 * (k + 1) / NS, "%s done", names[k]);
    }
    if (st == CML_OK)
        st = cr_note(r,
                     "Reading %lld instead of %lld mails grew the word vocabulary %.1fx, the "
                     "character 3-gram vocabulary %.1fx.",
                     (long long)steps[NG - 1], (long long)steps[NG - 2],
                     growth[NG - 1] / growth[NG - 2], growth[2 * NG - 1] / growth[2 * NG - 2]);
    static const char *const sn[] = {"words", "char 3-grams", "char_wb 3-grams"};
    if (st == CML_OK)
        st = cml_plot_lines(cr_path(r, "vocabulary_growth.png"), xs, growth, NS, NG, sn,
                            "Vocabulary growth on the SpamAssassin mails", "mails read",
                            "distinct tokens");
    if (st == CML_OK) st = cr_plot(r, "vocabulary_growth.png", "Vocabulary size vs mails read");
    mails_free(&m);
    return st;
}

const course_experiment course_exp_naive_bayes = {"naive-bayes", "spam", exp_naive_bayes};
const course_experiment course_exp_text_classification = {"text-classification", "spam",
                                                          exp_text_classification};
const course_experiment course_exp_tokenization = {"tokenization", "spam", exp_tokenization};
