#!/usr/bin/env bash
# Installs what building and testing xlogminer needs on Debian 12, as root, and
# skips each step that is already done: PostgreSQL 15 server + dev headers +
# pg_cron, sudo (cargo-pgrx's --runas uses it), cargo-pgrx 0.18.0 and its
# config. Safe to run repeatedly; prints what it does.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
if [ -z "${PG_CONFIG:-}" ] && [ -n "${PG_BIN:-}" ]; then
  PG_CONFIG=$PG_BIN/pg_config
fi
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}

need_pkgs=()
for p in postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-cron postgresql-contrib sudo; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
  echo "setup: installing cargo-pgrx 0.18.0 (takes a few minutes)"
  cargo install cargo-pgrx --version 0.18.0 --locked
fi

export PGRX_HOME=${PGRX_HOME:-$HOME/.pgrx}
if ! grep -q "pg$PG_MAJOR" "$PGRX_HOME/config.toml" 2>/dev/null; then
  echo "setup: cargo pgrx init --pg$PG_MAJOR $PG_CONFIG"
  cargo pgrx init --pg$PG_MAJOR "$PG_CONFIG"
fi
echo "setup: toolchain ready"
