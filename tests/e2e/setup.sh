#!/usr/bin/env bash
# tests/e2e/setup.sh — makes playwright-core (the version pinned in
# package-lock.json) available in tests/e2e/node_modules for the browser
# tests. Exit 0: ready. Exit 77 (the test then skips): no node, no npm, or
# npm could not install it (no network to the npm registry); the reason is
# printed. Nothing is installed outside tests/e2e/.
set -u
DIR=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "SKIP: node is not installed (scripts/deps installs nodejs)"; exit 77; }
have() {
  node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync(process.argv[1] + "/package-lock.json")).packages["node_modules/playwright-core"].version;
    const got = JSON.parse(fs.readFileSync(process.argv[1] + "/node_modules/playwright-core/package.json")).version;
    process.exit(want === got ? 0 : 1);' "$DIR" 2>/dev/null
}
have && exit 0
command -v npm >/dev/null || { echo "SKIP: npm is not installed (Debian: apt-get install npm), cannot fetch playwright-core"; exit 77; }
echo "tests/e2e/setup.sh: npm ci (playwright-core) in $DIR"
if ! timeout 300 npm ci --prefix "$DIR" --no-audit --no-fund --loglevel=error; then
  echo "SKIP: npm ci failed: playwright-core could not be installed (no network to the npm registry?)"
  exit 77
fi
have || { echo "FAIL: npm ci ran but playwright-core is not the locked version"; exit 1; }
