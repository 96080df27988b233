#!/usr/bin/env bash
# Builds the release package and installs it into the PostgreSQL of
# PG_MAJOR (15 by default) or PG_CONFIG, safely on a running server: files
# are renamed into place, so backends that have the old library loaded
# keep it (`cargo pgrx install` rewrites it under them; they die of SIGBUS
# and the server restarts). New sessions load the new one; run
# `ALTER EXTENSION xlogminer UPDATE` when the version changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
source scripts/lib.sh
install_extension
echo "install: xlogminer installed into $("$PG_CONFIG" --pkglibdir)"
