#!/usr/bin/env bash
# Installs what building and testing xlogminer needs on Debian 12, as root, and
# skips each step that is already done: sudo (cargo-pgrx's --runas uses it),
# PostgreSQL 15 server + dev headers + pg_cron from Debian when the system's
# 15 is used, the relocatable build of any other major (scripts/setup-majors.sh),
# cargo-pgrx 0.18.0, and its config naming every major's pg_config. Safe to
# run repeatedly; prints what it does.
#
# PG_MAJOR (default 15) and optionally PG_CONFIG select the PostgreSQL, as in
# scripts/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
wanted=(sudo)
PG_MAJOR=${PG_MAJOR:-15}
if [ -z "${PG_CONFIG:-}" ] && [ -z "${PG_BIN:-}" ] && [ "$PG_MAJOR" = 15 ]; then
  wanted+=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-contrib postgresql-15-wal2json)
fi
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# After the packages: lib.sh resolves PG_CONFIG (downloading a relocatable
# build of a major other than 15).
source scripts/lib.sh

if ! cargo pgrx --version 2>/dev/null | grep -q '0\.18\.0'; then
  echo "setup: installing cargo-pgrx 0.18.0 (takes a few minutes)"
  cargo install cargo-pgrx --version 0.18.0 --locked
fi

# `cargo pgrx init` rewrites the whole config: keep the majors it already
# names and add or replace this one.
config=$PGRX_HOME/config.toml
# (No config yet on a new machine: sed fails, which must not end the script.)
configured=$(sed -n "s/^pg$PG_MAJOR = \"\(.*\)\"$/\1/p" "$config" 2>/dev/null || true)
if [ -z "$configured" ] || [ "$(realpath -m "$configured")" != "$(realpath -m "$PG_CONFIG")" ]; then
  args=()
  while read -r line; do
    major=$(sed -n 's/^pg\([0-9]*\) = ".*"$/\1/p' <<<"$line")
    path=$(sed -n 's/^pg[0-9]* = "\(.*\)"$/\1/p' <<<"$line")
    if [ -n "$major" ] && [ "$major" != "$PG_MAJOR" ] && [ -x "$path" ]; then
      args+=("--pg$major" "$path")
    fi
  done < <(cat "$config" 2>/dev/null || true)
  args+=("--pg$PG_MAJOR" "$PG_CONFIG")
  echo "setup: cargo pgrx init ${args[*]}"
  mkdir -p "$PGRX_HOME"
  cargo pgrx init "${args[@]}" >/dev/null
fi
echo "setup: toolchain ready for PostgreSQL $PG_MAJOR ($PG_CONFIG)"
