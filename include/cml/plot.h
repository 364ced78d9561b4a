/*
 * cml/plot.h — simple, readable charts written with cairo: scatter plots
 * coloured by label (embeddings, clusters), line charts (loss curves, elbow
 * plots), grids of scatter panels (PCA | t-SNE | UMAP side by side), bar
 * charts (coefficients, importances), annotated heatmaps (confusion
 * matrices) and image grids (misclassified digits).
 *
 * The format follows the file extension: .png, .svg or .pdf (case
 * insensitive); anything else is CML_ERR_ARG. Each scatter/line panel is 800 x 600
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

#define CML_PLOT_MAX_BARS   100000
#define CML_PLOT_MAX_CELLS  1000
#define CML_PLOT_MAX_IMAGES 10000

/* Bar chart of n values (coefficients, feature importances): bars start at
 * zero, positive ones blue, negative ones vermillion; names (n) label the
 * bars (NULL: 0..n-1; names longer than 40 characters are shortened).
 * horizontal != 0 draws one bar per row, the first at the top — the
 * readable choice for feature names; the chart grows to keep bars apart.
 * Up to 30 bars carry their value. xlabel/ylabel are the labels of the
 * horizontal/vertical axis as drawn. Non-finite values draw no bar.
 * Errors: CML_ERR_ARG (n outside [1, CML_PLOT_MAX_BARS], no finite value,
 * bad extension), CML_ERR_IO. */
cml_status cml_plot_bars(const char *path, const double *values, int64_t n,
                         const char *const *names, int horizontal, const char *title,
                         const char *xlabel, const char *ylabel);

/* Heatmap of the (rows, cols) row-major matrix m, row 0 at the top (as a
 * confusion matrix reads: rows = true class, columns = predicted), with a
 * colour bar. One-signed data: viridis from min to max; data of both signs:
 * a diverging blue-white-red map symmetric about 0. annotate != 0 writes
 * each value in its cell (integers as such, else 3 significant digits) in
 * black or white by the cell's luminance, where it fits. row_names (rows)
 * and col_names (cols) may be NULL (indices). Non-finite cells are light
 * grey. Errors: CML_ERR_ARG (rows or cols outside [1, CML_PLOT_MAX_CELLS],
 * no finite value, bad extension), CML_ERR_IO. */
cml_status cml_plot_heatmap(const char *path, const double *m, int64_t rows, int64_t cols,
                            const char *const *row_names, const char *const *col_names,
                            int annotate, const char *title, const char *xlabel,
                            const char *ylabel);

/* Grid of n grey-level images (e.g. misclassified 28 x 28 digits):
 * pixels is (n, height * width) row-major, each image row-major; grey
 * levels are scaled from the minimum to the maximum over all images, high
 * values dark (ink on paper). Images are magnified by a whole factor to
 * about 112 units, n_cols per row (<= 0: min(n, 10)). captions (n) may be
 * NULL; a caption may hold up to three lines separated by '\n' (e.g.
 * "true 4\npred 9"). Errors: CML_ERR_ARG (n outside [1,
 * CML_PLOT_MAX_IMAGES], height or width outside [1, 4096], no finite pixel,
 * bad extension), CML_ERR_IO. */
cml_status cml_plot_images(const char *path, const double *pixels, int64_t n, int64_t height,
                           int64_t width, int n_cols, const char *const *captions,
                           const char *title);

#ifdef __cplusplus
}
#endif
#endif /* CML_PLOT_H */
