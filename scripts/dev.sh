#!/usr/bin/env bash
# Sets up the machine, then runs the control plane (Temporal dev server + worker + API) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/edge-overlay.js dev "$@"
