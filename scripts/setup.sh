#!/usr/bin/env bash
# Installs everything edge-overlay needs on a bare Debian machine: network tools (apt), the Temporal
# CLI (go install, cached in .tools/bin) and npm packages. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TEMPORAL_CLI_VERSION=v1.5.1
say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages for the data plane, the lab and the host channel (mosquitto: the MQTT broker that
# `dev` and the tests start as their own process on their own port; mosquitto-clients: for debugging).
PKGS=(iproute2 dnsmasq-base udhcpc etcd-server etcd-client arping iputils-ping socat ethtool procps
  mosquitto mosquitto-clients)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"; exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # policy-rc.d keeps the postinsts of etcd-server and mosquitto from starting an etcd in the root
  # namespace and a system broker on port 1883.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # ... nor at the next boot: the package enables its service. Only when we installed it just now; a
  # system broker someone runs on purpose is left alone (edge-overlay never uses it or port 1883).
  if [[ " ${missing[*]} " == *" mosquitto "* ]]; then
    systemctl disable mosquitto.service >/dev/null 2>&1 || true
    update-rc.d mosquitto disable >/dev/null 2>&1 || true
  fi
fi
if ss -Hltn 'sport = :1883' 2>/dev/null | grep -q .; then
  say "note: something listens on port 1883 (a system MQTT broker?); edge-overlay neither uses nor stops it"
fi

# 2. Temporal CLI (dev server + Web UI), built from source by the Go toolchain.
if [ ! -x .tools/bin/temporal ] || ! .tools/bin/temporal --version 2>/dev/null | grep -q 'Server 1.29.1'; then
  command -v go >/dev/null || { say "'go' is not installed: the Temporal CLI is built with 'go install'; install Go >= 1.24 and re-run"; exit 1; }
  say "building Temporal CLI $TEMPORAL_CLI_VERSION with go install (takes a few minutes on a fresh machine)"
  mkdir -p .tools/bin
  if ! GOBIN="$ROOT/.tools/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"; then
    say "go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION failed (see above)"; exit 1
  fi
fi
say "$(.tools/bin/temporal --version)"

# 3. npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "ready"
