/*
 * cml/plot.h — simple, readable charts written with cairo: scatter plots
 * coloured by label (embeddings, clusters), line charts (loss curves, elbow
 * plots) and grids of scatter panels (PCA | t-SNE | UMAP side by side).
 *
 * The format follows the file extension: .png, .svg or .pdf (case
 * insensitive); anything else is CML_ERR_ARG. Each panel is 800 x 600
 * (pixels for PNG, points for SVG/PDF), plus a legend column on the right
 * when there is something to name. Axes carry "nice" ticks (1, 2 or 5 x 10^k), grid lines, axis
 * labels and a title. Colours: the Okabe-Ito palette (safe for the common colour-vision
 * deficiencies) up to 8 labels, matplotlib's tab10 up to 10, then tab10 again with square and
 * triangle markers so classes stay distinct.
 *
 * Inputs are borrowed; non-finite points are skipped. Text arguments may
 * be NULL (nothing drawn). Files are written in one go (an existing file is
 * replaced). Thread-safety: calls are independent; cairo is thread-safe for
 * separate surfaces.
 */
#ifndef CML_PLOT_H
#define CML_PLOT_H

#include <stdint.h>

#include "cml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scatter of (x[i], y[i]), i < n. labels (n) may be NULL (one colour);
 * otherwise each distinct label value gets a colour, in ascending order, and
 * a legend entry: label_names[v] for a value v in [0, count) of the
 * NULL-terminated array label_names, else the value itself ("-1" for
 * DBSCAN noise, drawn in grey). Errors: CML_ERR_ARG (n < 1, no finite
 * point, bad extension), CML_ERR_IO (cannot write path). */
cml_status cml_plot_scatter(const char *path, const double *x, const double *y, int64_t n,
                            const int64_t *labels, const char *const *label_names,
                            const char *title, const char *xlabel, const char *ylabel);

/* n_series lines over the same n x positions: ys is (n_series, n)
 * row-major; xs (n) may be NULL for 0, 1, ..., n-1. series_names (n_series)
 * may be NULL (no legend). Points are marked when n <= 40. Non-finite
 * values break the line. */
cml_status cml_plot_lines(const char *path, const double *xs, const double *ys, int n_series,
                          int64_t n, const char *const *series_names, const char *title,
                          const char *xlabel, const char *ylabel);

/* One scatter panel of a grid. */
typedef struct cml_plot_panel {
    const double *x, *y; /* (n) */
    int64_t n;
    const int64_t *labels; /* (n) or NULL */
    const char *title, *xlabel, *ylabel;
} cml_plot_panel;

/* n_panels scatter panels in rows of n_cols (n_cols <= 0: all in one row),
 * one colour per label value shared by all panels, one legend on the right
 * (label_names as in cml_plot_scatter), and an overall title (may be NULL). */
cml_status cml_plot_grid(const char *path, const cml_plot_panel *panels, int n_panels, int n_cols,
                         const char *const *label_names, const char *title);

#ifdef __cplusplus
}
#endif
#endif /* CML_PLOT_H */
