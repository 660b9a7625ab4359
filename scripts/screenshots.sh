#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/): every page, light and dark, phone
# and desktop, taken by the Playwright layout test against a release build. A documentation
# command, run by hand when the pages change; the test command never writes here (its own
# screenshots go to end2end/test-results/, which is not committed).
source "$(dirname "$0")/tools.sh"
ensure_test_tools
cd "$ROOT"

say "release build"
cargo leptos build --release --split --precompress

say "screenshots into docs/screenshots/"
rm -rf docs/screenshots
mkdir -p docs/screenshots
cd end2end
# The same usernames on every run, so regenerated images differ only where the pages did.
SCREENSHOT_DIR="$ROOT/docs/screenshots" STABLE_NAMES=1 npx playwright test layout.spec.ts
ls -l "$ROOT/docs/screenshots"
