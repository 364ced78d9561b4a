#!/usr/bin/env bash
# The web app's Markdown renderer (web/md.mjs) in node: fixed cases and
# every section of every lesson (tests/e2e/md_test.mjs). Needs node only.
# Usage: test_web_md.sh PATH/TO/cml   (run from tests/)
set -u
CML=${1:?usage: test_web_md.sh CML}
command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/deps installs nodejs)"; exit 77; }
export CML_COURSES=${CML_COURSES:-../courses}
exec node e2e/md_test.mjs "$CML"
