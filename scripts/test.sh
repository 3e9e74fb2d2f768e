#!/usr/bin/env bash
# Sets up the machine, then runs every check: types, lint, and all tests against a real Temporal server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run typecheck
npm run lint
npx vitest run "$@"
