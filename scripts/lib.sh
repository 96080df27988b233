# Shared shell helpers for xlogminer's scripts (sourced, not run).
# Everything a throwaway cluster needs: it runs as the unprivileged
# `postgres` OS user (the server refuses root) in a directory we create.

# PG_MAJOR picks the PostgreSQL major to build against and test (15 by
# default); PG_BIN / PG_CONFIG a particular installation of it (either one
# implies the other). Without them, 15 is the system's and every other
# major the relocatable build scripts/setup-majors.sh unpacks.
PG_MAJOR=${PG_MAJOR:-15}
if [ -z "${PG_BIN:-}" ] && [ -n "${PG_CONFIG:-}" ]; then
  PG_BIN=$("$PG_CONFIG" --bindir)
fi
if [ -z "${PG_BIN:-}" ]; then
  if [ "$PG_MAJOR" = 15 ]; then
    PG_BIN=/usr/lib/postgresql/15/bin
  else
    PG_BIN=$(dirname "$(bash "$(dirname "${BASH_SOURCE[0]}")/setup-majors.sh" "$PG_MAJOR" | sed -n "s/^pg$PG_MAJOR=//p")")
  fi
fi
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
export PG_MAJOR PG_BIN PG_CONFIG
# Cargo's build cache lives outside the clone so CI runs reuse it.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/xlogminer-target}
export PGRX_HOME=${PGRX_HOME:-$HOME/.pgrx}

# Runs a command as the postgres OS user. A relocatable build's programs
# and modules (pg_basebackup, the walreceiver, dblink) need its own libpq,
# not the system's: its library directory comes first.
as_postgres() {
  local libdir
  libdir=$("$PG_CONFIG" --libdir 2>/dev/null || true)
  if [ "$(id -u)" = 0 ]; then
    sudo -u postgres -H -- env LD_LIBRARY_PATH="$libdir" "$@"
  else
    env LD_LIBRARY_PATH="$libdir" "$@"
  fi
}

# cluster_start DIR PORT [postgresql.conf lines...]: initdb DIR (if new) and start it.
# INITDB_OPTS adds initdb options (e.g. --wal-segsize=64).
cluster_start() {
  local dir=$1 port=$2
  shift 2
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    install -d -o postgres -g postgres -m 700 "$dir" "$dir/data"
    # shellcheck disable=SC2086
    # PG 18's initdb turns data checksums on by default; every major's
    # cluster is made alike, without them (the tests' WAL then has no
    # hint-bit images, as on 14-17).
    local checksums=()
    [ "$PG_MAJOR" -ge 18 ] && checksums=(--no-data-checksums)
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 \
      "${checksums[@]}" ${INITDB_OPTS:-} >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log"; return 1; }
    {
      echo "port = $port"
      echo "unix_socket_directories = '$dir'"
      echo "listen_addresses = ''"
      echo "max_prepared_transactions = 10"
      echo "fsync = off"
      for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { cat "$dir/server.log"; return 1; }
}

cluster_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
}

# cargo pgrx takes its pg_config from $PGRX_HOME/config.toml, not from
# PG_CONFIG: refuse to go on when the two differ, or the #[pg_test] step
# would install into another server's directories.
check_pgrx_config() {
  local configured
  configured=$(sed -n "s/^pg$PG_MAJOR = \"\(.*\)\"$/\1/p" "$PGRX_HOME/config.toml" 2>/dev/null || true)
  if [ "$(realpath -m "$configured")" != "$(realpath -m "$PG_CONFIG")" ]; then
    echo "error: $PGRX_HOME/config.toml has pg$PG_MAJOR = \"$configured\", but PG_CONFIG is $PG_CONFIG" >&2
    echo "hint: set PGRX_HOME to a directory of its own, or run scripts/setup-toolchain.sh with this PG_CONFIG" >&2
    return 1
  fi
}

# Builds and installs the extension into the server's directories.
# Builds the release package and installs its files, each copied beside its
# destination and renamed over it. `cargo pgrx install` rewrites the library
# in place: a backend that has the old one mapped then dies of SIGBUS, and
# the postmaster restarts the whole server. A rename leaves such backends
# the old file.
install_extension() {
  local pkg f dest
  pkg=$(mktemp -d "${TMPDIR:-/var/tmp}/xlogminer-package.XXXXXX")
  cargo pgrx package --pg-config "$PG_CONFIG" --no-default-features --features "pg$PG_MAJOR" \
    --out-dir "$pkg" >/dev/null || { rm -rf "$pkg"; return 1; }
  while IFS= read -r -d '' f; do
    dest=${f#"$pkg"}
    install -D -m "$( [ -x "$f" ] && echo 755 || echo 644 )" "$f" "$dest.xlogminer-new" \
      && mv -f "$dest.xlogminer-new" "$dest" || { rm -rf "$pkg"; return 1; }
  done < <(find "$pkg" -type f -print0)
  rm -rf "$pkg"
}
