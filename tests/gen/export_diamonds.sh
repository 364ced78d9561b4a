#!/usr/bin/env bash
# Exports ggplot2's `diamonds` data set to data/diamonds.csv (run from the repo root).
# Needs Debian's r-cran-ggplot2 (3.4.1): apt-get install --no-install-recommends r-cran-ggplot2
set -euo pipefail
Rscript -e 'data(diamonds, package = "ggplot2"); write.csv(diamonds, "data/diamonds.csv", row.names = FALSE)'
