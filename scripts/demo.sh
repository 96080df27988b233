#!/usr/bin/env bash
# Quick start, step 1: installs what is missing, builds and installs the
# extension, starts a throwaway cluster (as the `postgres` OS user), runs a
# small workload with a mistaken UPDATE, and shows the mined rows.
# The cluster is left running for you to try queries; the last lines say
# how to connect and how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-toolchain.sh
source scripts/lib.sh

DEMO=${XLOGMINER_DEMO_DIR:-/var/tmp/xlogminer-demo}
PORT=${XLOGMINER_DEMO_PORT:-54330}
echo "demo: building and installing the extension (release build)"
install_extension
cluster_stop "$DEMO"
rm -rf "$DEMO"
cluster_start "$DEMO" "$PORT"
PSQL=("$PG_BIN/psql" -X -q -h "$DEMO" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)

"${PSQL[@]}" <<'SQL'
CREATE EXTENSION xlogminer;
CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric(10,2), placed timestamptz);
INSERT INTO orders VALUES (1, 'O''Brien', 19.99, '2026-11-24 10:00+00'),
                          (2, 'Zoë', 5.00, '2026-11-24 11:30+00'),
                          (3, 'ACME "Corp"', 250.00, '2026-11-24 12:45+00');
-- The mistake: every order gets the same amount.
UPDATE orders SET amount = 0;
DELETE FROM orders WHERE id = 3;
SQL

echo
echo "demo: xlogminer_records, the last records of the workload"
"${PSQL[@]}" -c "SELECT start_lsn, resource_manager, record_type, description
FROM xlogminer_records() WHERE resource_manager IN ('Heap', 'Transaction') ORDER BY start_lsn DESC LIMIT 8;"
echo "demo: xlogminer_contents, what happened to orders, with redo and undo SQL"
"${PSQL[@]}" -c "SELECT lsn, op, redo_sql, undo_sql FROM xlogminer_contents(relations => '{orders}') ORDER BY lsn, item;"
echo "demo: undo the mistaken UPDATE and DELETE (their undo_sql in reverse order)"
"${PSQL[@]}" <<'SQL'
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT undo_sql FROM xlogminer_contents(relations => '{orders}')
           WHERE op IN ('UPDATE', 'DELETE') ORDER BY lsn DESC, item DESC LOOP
    EXECUTE r.undo_sql;
  END LOOP;
END $$;
SELECT * FROM orders ORDER BY id;
SQL
echo "demo: the cluster keeps running: $PG_BIN/psql -h $DEMO -p $PORT -U postgres"
echo "demo: stop it with: sudo -u postgres $PG_BIN/pg_ctl -D $DEMO/data stop"
