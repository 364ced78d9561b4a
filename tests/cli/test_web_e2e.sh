#!/usr/bin/env bash
# End-to-end browser test of `cml web`: headless Debian chromium driven by
# playwright-core (tests/e2e/web_e2e.mjs). Opens the catalogue, a live
# lesson, presses Run with the keyboard, sees progress, the metric and the
# plots; a text-only lesson, an unknown one; the same pages on a phone-sized
# screen. Screenshots go to BUILD/e2e/*.png (BUILD = the folder of cml).
# Skips (77) without chromium, node, or a way to install playwright-core.
# Usage: test_web_e2e.sh PATH/TO/cml   (run from tests/)
set -u
CML=${1:?usage: test_web_e2e.sh CML}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM not found (scripts/deps installs chromium)"; exit 77; }
bash e2e/setup.sh || exit $?
SHOTS=$(cd "$(dirname "$CML")" && pwd)/e2e
mkdir -p "$SHOTS"
exec timeout 600 node e2e/web_e2e.mjs "$CML" "${CML_COURSES:-../courses}" ../data "$SHOTS" "$CHROMIUM"
