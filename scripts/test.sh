#!/usr/bin/env bash
# Sets up the machine, then runs every check: types, lint, and all tests against a real Temporal server.
# All three run even when one fails, so one CI run shows every problem; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
failed=()
npm run --silent typecheck || failed+=(typecheck)
npm run --silent lint || failed+=(lint)
npx vitest run "$@" || failed+=(tests)
if ((${#failed[@]})); then
  echo "[test] FAILED: ${failed[*]}"
  exit 1
fi
echo "[test] all checks passed"
