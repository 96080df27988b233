#!/usr/bin/env bash
# The whole test suite, as the README's second Quick start command and CI run it:
#   1. installs what is missing (scripts/setup-toolchain.sh),
#   2. the decoder crate's unit tests (plain cargo test) and a 60 s fuzzing
#      run (crates/waldecode/examples/fuzz.rs),
#   3. the extension's #[pg_test]s (cargo pgrx test, server run as `postgres`),
#   4. the tests/pg_regress/ suite (pg_regress against a throwaway cluster),
#   5. the heap redo consistency check (scripts/redo-check.sh),
#   6. scripts/cluster-tests.sh (standby, promotion, 64 MB segments: clusters
#      of their own),
#   7. the audit across a server crash (scripts/audit-crash-test.sh).
# Ends with one line "tests: N passed, M failed".
#
# PostgreSQL 15 by default (PG_MAJOR / PG_CONFIG select another, see
# scripts/lib.sh). Several majors, one after the other:
#   XLOGMINER_PG_MAJORS="14 15 16 17 18" bash scripts/test.sh
#   bash scripts/test.sh --all-majors
# PG_CONFIG_<major> (e.g. PG_CONFIG_15) names the pg_config of one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

majors=${XLOGMINER_PG_MAJORS:-}
if [ "${1:-}" = --all-majors ]; then
  majors="14 15 16 17 18"
fi
if [ -n "$majors" ]; then
  all_passed=0
  all_failed=0
  for m in $majors; do
    echo "=== PostgreSQL $m"
    cfg_var=PG_CONFIG_$m
    log=$(mktemp "${TMPDIR:-/tmp}/xlogminer-major.XXXXXX")
    env -u PG_BIN -u PG_CONFIG -u XLOGMINER_PG_MAJORS PG_MAJOR="$m" \
      ${!cfg_var:+PG_CONFIG=${!cfg_var}} bash scripts/test.sh 2>&1 | tee "$log" || true
    line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    rm -f "$log"
    p=$(sed -n 's/^tests: \([0-9]*\) passed.*/\1/p' <<<"$line")
    f=$(sed -n 's/.* \([0-9]*\) failed$/\1/p' <<<"$line")
    # A major whose run died before its last line counts as one failure.
    all_passed=$((all_passed + ${p:-0}))
    all_failed=$((all_failed + ${f:-1}))
    echo "=== PostgreSQL $m: ${p:-0} passed, ${f:-1} failed" | sed 's/: /, /'
  done
  echo "tests: $all_passed passed, $all_failed failed"
  [ "$all_failed" = 0 ]
  exit
fi

bash scripts/setup-toolchain.sh
source scripts/lib.sh
check_pgrx_config
echo "== PostgreSQL $PG_MAJOR ($PG_CONFIG)"

# XLOGMINER_TEST_DIR / XLOGMINER_TEST_PORT: where and on which ports the
# throwaway clusters live (two suites on one machine must not share them).
# The regression cluster takes the port, scripts/cluster-tests.sh the next
# four, the audit crash test the fifth, the redo check the sixth.
WORK=$(mktemp -d "${XLOGMINER_TEST_DIR:-/var/tmp/xlogminer-test}.XXXXXX")
PORT=${XLOGMINER_TEST_PORT:-54329}
chmod 755 "$WORK"
cleanup() { cluster_stop "$WORK/cluster"; cluster_stop "$WORK/redo"; rm -rf "$WORK"; }
trap cleanup EXIT

passed=0
failed=0
count() { # count LOG PASS_REGEX FAIL_REGEX
  local p f
  p=$(grep -oE "$2" "$1" | awk '{s += $1} END {print s + 0}')
  f=$(grep -oE "$3" "$1" | awk '{s += $1} END {print s + 0}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

echo "== decoder unit tests (cargo test -p waldecode)"
if ! timeout 1200 cargo test -p waldecode 2>&1 | tee "$WORK/unit.log" | grep -E '^test result|FAILED|panicked'; then :; fi
count "$WORK/unit.log" '[0-9]+ passed' '[0-9]+ failed'
grep -q '^test result: ok' "$WORK/unit.log" && ! grep -q '^test result: FAILED' "$WORK/unit.log" || failed=$((failed + 1))

echo "== decoder fuzzing (examples/fuzz.rs, 60 s)"
# A different seed each day explores more over time; the seed is printed,
# and a run is the same for the same seed. Failing inputs are kept in
# crates/waldecode/fixtures/fuzz/crashes/ (tests/fuzz.rs replays them).
FUZZ_SEED=${XLOGMINER_FUZZ_SEED:-$(date +%Y%j)}
if timeout 240 cargo run --profile fuzz -q -p waldecode --example fuzz -- --seconds "${XLOGMINER_FUZZ_SECONDS:-60}" \
    --seed "$FUZZ_SEED" --save 2>&1 | tee "$WORK/fuzz.log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

echo "== extension #[pg_test]s (cargo pgrx test)"
install -d -o postgres -g postgres "$WORK/pgtest"
# `cargo pgrx test` copies its build over the installed library in place: a
# backend of a running server that has it loaded would die of SIGBUS, and
# the server restart. Unlinked first, the copy is a new file and such a
# backend keeps the old one.
rm -f "$("$PG_CONFIG" --pkglibdir)/xlogminer.so"
if ! timeout 1800 cargo pgrx test "pg$PG_MAJOR" --no-default-features --runas postgres --pgdata "$WORK/pgtest/data" 2>&1 \
    | tee "$WORK/pgtest.log" | grep -E '^test result|FAILED|panicked'; then :; fi
count "$WORK/pgtest.log" '[0-9]+ passed' '[0-9]+ failed'
grep -q '^test result: ok' "$WORK/pgtest.log" || failed=$((failed + 1))

echo "== regression suite (tests/pg_regress/ with pg_regress)"
# The release build, as scripts/demo.sh installs it: the #[pg_test] step
# above installed a debug build with test code into the same place, and
# the user must not be left with that one.
install_extension
# PG 14's wal_compression is a boolean (on = pglz).
wal_compression=pglz
[ "$PG_MAJOR" -ge 15 ] || wal_compression=on
# pg_cron runs the audit test's scheduled capture (where the server has it).
CRON=()
if [ -f "$("$PG_CONFIG" --pkglibdir)/pg_cron.so" ]; then
  CRON=("shared_preload_libraries = 'pg_cron'" "cron.database_name = 'xlogminer_regress'" "cron.use_background_workers = on")
fi
cluster_start "$WORK/cluster" "$PORT" "wal_compression = $wal_compression" "wal_keep_size = 4GB" "max_wal_size = 4GB" "${CRON[@]}"
PG_REGRESS=$("$PG_CONFIG" --pkglibdir)/pgxs/src/test/regress/pg_regress
tests=$(sed -n 's/^test: //p' tests/pg_regress/schedule | tr '\n' ' ')
if [ "$PG_MAJOR" = 14 ]; then
  # No pg_walinspect before 15: waldump_compare is 14's reference.
  tests=$(for t in $tests; do case $t in records | walinspect_compare) ;; *) printf '%s ' "$t" ;; esac; done)
fi
set +e
timeout 1800 "$PG_REGRESS" --host="$WORK/cluster" --port="$PORT" --user=postgres \
  --inputdir=tests/pg_regress --outputdir="$WORK/regress" --bindir="$PG_BIN" \
  --dbname=xlogminer_regress $tests 2>&1 | tee "$WORK/regress.log"
rc=${PIPESTATUS[0]}
set -e
r_ok=$(grep -cE '^(ok|test) .* ok( |$)|^ok [0-9]+ ' "$WORK/regress.log" || true)
r_bad=$(grep -cE 'FAILED|failed \(ignored\)' "$WORK/regress.log" || true)
passed=$((passed + r_ok))
failed=$((failed + r_bad))
if [ "$rc" != 0 ]; then
  if [ -f "$WORK/regress/regression.diffs" ]; then
    head -200 "$WORK/regress/regression.diffs"
    # Kept beside the (removed) work directory, for a look at all of it.
    cp "$WORK/regress/regression.diffs" "$WORK.diffs"
    echo "(all differences: $WORK.diffs)"
  fi
  [ "$r_bad" = 0 ] && failed=$((failed + 1))
fi

cluster_stop "$WORK/cluster"

echo "== heap redo against the server's pages (scripts/redo-check.sh)"
if bash scripts/redo-check.sh "$WORK/redo" $((PORT + 6)) 2>&1 | tee "$WORK/redo.log" | tail -5; then
  grep -q ', 0 differing$' "$WORK/redo.log" && passed=$((passed + 1)) || failed=$((failed + 1))
else
  failed=$((failed + 1))
fi

echo "== cluster tests (scripts/cluster-tests.sh: standby, promotion, removed segment, 64 MB segments)"
# Clusters of their own, on the next ports; the release build installed above.
set +e
timeout 900 bash scripts/cluster-tests.sh "$WORK/clusters" $((PORT + 1)) 2>&1 | tee "$WORK/clusters.log"
set -e
count "$WORK/clusters.log" '[0-9]+ passed' '[0-9]+ failed'
grep -q '^cluster-tests: ' "$WORK/clusters.log" || failed=$((failed + 1))

echo "== audit across a server crash (scripts/audit-crash-test.sh)"
if XLOGMINER_AUDIT_PORT=$((PORT + 5)) timeout 600 bash scripts/audit-crash-test.sh 2>&1 | tee "$WORK/audit-crash.log"; then :; fi
count "$WORK/audit-crash.log" '[0-9]+ passed' '[0-9]+ failed'
grep -q '^audit crash test: .* 0 failed' "$WORK/audit-crash.log" || failed=$((failed + 1))

echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
