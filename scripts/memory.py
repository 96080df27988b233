#!/usr/bin/env python3
"""Peak memory of xlogminer_contents over a huge transaction and over a long range of WAL (issue 9).

One throwaway cluster (as the `postgres` OS user, in /var/tmp/xlm-bench6-memory-*,
on a free port in 54700-54799; `xlogminer.page_cache_size` at its default)
writes three ranges of WAL, each after a checkpoint:
  insert  one transaction inserting --rows rows (default 5,000,000) into a table
          with a primary key (`INSERT ... SELECT ... FROM generate_series`);
  update  one transaction updating all of them;
  oltp    `pgbench -i -s 10`, then TPC-B-like transactions (4 clients) until the
          range holds --wal-gb GiB (default 3).
Over each range it runs the streamed form
  SELECT count(*), count(*) FILTER (WHERE NOT (c).complete AND (c).op IN (...)), ...
  FROM (SELECT xlogminer_contents(start, end) AS c) s
in a fresh backend (--runs times) and reports rows, rows not complete (row
changes; TRUNCATE and DDL rows), seconds, rows/s, the backend's peak resident
memory (VmHWM), temporary file bytes and the 1-minute load average before and
after; a fresh backend that only loaded the library gives the baseline. If /var/tmp has too little free space for
the sizes asked, they are scaled down and the report says so. Prints Markdown;
--write-benchmarks puts it into BENCHMARKS.md as the "Memory" section,
replacing the previous run's. The cluster is removed on exit, also on errors
and Ctrl-C.

Usage (as root, from the repository root, with the release build installed
by `bash scripts/demo.sh`; this script builds nothing):
  python3 scripts/memory.py --quick               # smoke test: 100,000 rows, 0.1 GiB, ~1 min
  python3 scripts/memory.py --write-benchmarks    # 5,000,000 rows, >= 3 GiB (~30-60 min)
"""
import argparse
import math
import os
import shlex
import shutil
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the clone
from benchlib import (MB, PG_BIN, exit_on_signals, library_stamp, loadavg, log, machine, pgbench_init,
                      pgbench_transactions, throwaway_cluster, with_clusters, write_section)

PORTS = range(54700, 54800)
SEED = 42
CLIENTS = 4
CHUNK = 500_000  # pgbench transactions per step while filling the oltp range
BEGIN = "<!-- memory: written by scripts/memory.py --write-benchmarks, replaced by its next run -->"
END = "<!-- /memory -->"
QUERY_TIMEOUT = 4 * 3600


def settings(wal_gb):
    """postgresql.conf lines: no durability (mining only) and no checkpoint or WAL recycling in a range."""
    keep = max(16, math.ceil(2 * wal_gb + 8))
    return [f"max_wal_size = {keep}GB", "min_wal_size = 1GB", f"wal_keep_size = {keep}GB",
            "checkpoint_timeout = 1h", "shared_buffers = 1GB", "fsync = off", "synchronous_commit = off",
            "maintenance_work_mem = 256MB"]


def disk_gib(rows, wal_gb):
    """GiB of /var/tmp a run needs, roughly: WAL (~250 B per inserted and per updated row, the pgbench
    range), the tables, and the page store's spill files."""
    return rows * 1000 / 2**30 + 1.3 * wal_gb + 2


def fit_to_disk(args):
    """Scales --rows and --wal-gb down when /var/tmp is short of space; a sentence for the report, or None."""
    free = shutil.disk_usage("/var/tmp").free / 2**30
    need = disk_gib(args.rows, args.wal_gb)
    if need <= 0.8 * free:
        return None
    factor = 0.8 * free / need
    asked = (args.rows, args.wal_gb)
    args.rows, args.wal_gb = int(args.rows * factor), round(args.wal_gb * factor, 2)
    return (f"/var/tmp had {free:.1f} GiB free, {need:.1f} GiB were needed: scaled down from {asked[0]:,} rows "
            f"and {asked[1]} GiB to {args.rows:,} rows and {args.wal_gb} GiB.")


def lsn(c):
    """c's current WAL insert position."""
    return c.query("SELECT pg_current_wal_insert_lsn()")


def checkpointed_range(c, work):
    """Runs work() after a checkpoint; (start, end) LSNs around it, the end flushed."""
    c.query("CHECKPOINT")
    start = lsn(c)
    work()
    c.query("CHECKPOINT")
    return start, c.query("SELECT pg_current_wal_flush_lsn()")


def fill_oltp(c, args):
    """pgbench -i, then transactions in chunks until the WAL since the start reaches --wal-gb;
    the number of transactions run."""
    start = lsn(c)
    pgbench_init(c, args.scale)
    after_init = written = int(c.query(f"SELECT pg_current_wal_insert_lsn() - '{start}'::pg_lsn"))
    target, done, per_txn = args.wal_gb * 1024 * MB, 0, 400.0  # bytes per transaction, until measured
    while written < target:
        n = math.ceil(min(CHUNK, (target - written) / per_txn * 1.02) / CLIENTS) * CLIENTS
        tps = pgbench_transactions(c, n, CLIENTS, SEED)
        done += n
        written = int(c.query(f"SELECT pg_current_wal_insert_lsn() - '{start}'::pg_lsn"))
        per_txn = (written - after_init) / done
        log(f"oltp: {done:,} transactions, {tps:.0f} tps, {written / MB:,.0f} MB of WAL")
    return done


def measure_range(c, name, start, end, runs, stamp):
    """Mines [start, end] with the streamed query in fresh backends, runs times; the facts of the range."""
    sql = ("SELECT count(*), count(*) FILTER (WHERE NOT (c).complete AND (c).op IN ('INSERT', 'UPDATE', 'DELETE')), "
           "count(*) FILTER (WHERE NOT (c).complete AND (c).op IN ('TRUNCATE', 'DDL')) "
           f"FROM (SELECT xlogminer_contents('{start}', '{end}') AS c) s")
    ms = []
    for r in range(1, runs + 1):
        before = os.getloadavg()[0]
        m = c.measure(sql, QUERY_TIMEOUT)
        m.update(load_before=before, load_after=os.getloadavg()[0], replaced=library_stamp() != stamp)
        ms.append(m)
        log(f"{name} run {r}/{runs}: {m['output'][0]} (rows|not complete), {m['seconds']:.1f} s, "
            f"peak {m['hwm_kb'] / 1024:.0f} MB, temp {m['temp_bytes'] / MB:.0f} MB")
    rows, incomplete, definitions = (int(x) for x in ms[0]["output"][0].split("|"))
    return {"name": name, "wal_mb": int(c.query(f"SELECT '{end}'::pg_lsn - '{start}'::pg_lsn")) / MB,
            "rows": rows, "incomplete": incomplete, "definitions": definitions, "runs": ms}


def measure(args, clusters):
    """Writes the three ranges and measures them; the report's facts."""
    facts = {"machine": machine(), "load_before": loadavg(), "settings": settings(args.wal_gb)}
    c = throwaway_cluster(clusters, "memory", PORTS, facts["settings"])
    if not c.query("SELECT 1 FROM pg_available_extensions WHERE name = 'xlogminer'"):
        sys.exit(f"memory.py: xlogminer is not installed in the PostgreSQL of {PG_BIN}; install the release "
                 "build first (bash scripts/demo.sh)")
    c.query("CREATE EXTENSION xlogminer")
    facts.update(version=c.query("SHOW server_version"),
                 page_cache=c.query("LOAD 'xlogminer'; SHOW xlogminer.page_cache_size"),
                 baseline=c.measure("LOAD 'xlogminer'", 60)["hwm_kb"])
    c.query("CREATE TABLE big (id integer PRIMARY KEY, n integer NOT NULL, t text NOT NULL)")
    log(f"insert: {args.rows:,} rows in one transaction")
    ranges = [("insert", checkpointed_range(c, lambda: c.query(
        f"INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, {args.rows}) g", timeout=QUERY_TIMEOUT)))]
    log(f"update: {args.rows:,} rows in one transaction")
    ranges.append(("update", checkpointed_range(c, lambda: c.query("UPDATE big SET n = n + 1",
                                                                    timeout=QUERY_TIMEOUT))))
    log(f"oltp: pgbench -i -s {args.scale}, then transactions up to {args.wal_gb} GiB of WAL")
    ranges.append(("oltp", checkpointed_range(c, lambda: facts.update(transactions=fill_oltp(c, args)))))
    # The library measured is the one installed when the measurements begin.
    stamp = library_stamp()
    facts["library"] = (f"`xlogminer.so` of {stamp[1] / MB:.1f} MB, installed "
                        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(stamp[2]))}")
    facts["ranges"] = [measure_range(c, name, start, end, args.runs, stamp) for name, (start, end) in ranges]
    facts["load_after"] = loadavg()
    return facts


def render(args, facts, note):
    """The Markdown report."""
    what = {
        "insert": f"one transaction inserting {args.rows:,} rows",
        "update": f"one transaction updating those {args.rows:,} rows",
        "oltp": f"`pgbench -i -s {args.scale}`, then {facts['transactions']:,} TPC-B-like transactions "
                f"({CLIENTS} clients)",
    }
    out = [
        "## Memory (issue 9)",
        "",
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, from the repository root:",
        "",
        "```sh",
        "python3 scripts/memory.py " + shlex.join(sys.argv[1:]),
        "```",
        "",
        f"- Machine: {facts['machine']}; PostgreSQL {facts['version']}; the release build of xlogminer "
        f"installed in the system's PostgreSQL ({facts['library']}).",
        f"- `xlogminer.page_cache_size` = {facts['page_cache']} (the default); cluster settings: "
        + ", ".join(f"`{s}`" for s in facts["settings"]) + ".",
        "- Each range starts and ends with a checkpoint. Query, in a fresh backend: `SELECT count(*), "
        "count(*) FILTER (WHERE NOT (c).complete AND (c).op IN (...)), ... FROM (SELECT "
        "xlogminer_contents(start, end) AS c) s` (the streamed form, rows produced one at a time). *Not "
        "complete*: row changes (INSERT, UPDATE, DELETE) / TRUNCATE and DDL rows, such as pgbench's "
        "`TRUNCATE` (no undo) and `CREATE TABLE ... WITH (fillfactor)` (storage parameters not "
        "reproduced). *Peak RSS*: the backend's VmHWM after the "
        f"query (largest of {args.runs} run{'s' if args.runs > 1 else ''}; times: best of them); a fresh "
        f"backend that only ran `LOAD 'xlogminer'` peaks at {facts['baseline'] / 1024:.0f} MB. *Temp*: "
        "the growth of `pg_stat_database.temp_bytes` (the page store's spill file).",
        f"- **Shared machine**: other engineers build and test on it during the run. Load average "
        f"(1/5/15 min) before the run: {facts['load_before']}; after: {facts['load_after']}; per range, the "
        "1-minute load before and after its query is in the table.",
    ]
    if note:
        out.append(f"- **Scaled down**: {note}")
    if any(m["replaced"] for r in facts["ranges"] for m in r["runs"]):
        out.append("- **The installed xlogminer.so was replaced during the run** (another engineer's install).")
    out += ["", "| range | WAL (MB) | rows | not complete | seconds | rows/s | peak RSS (MB) | temp (MB) "
            "| load before / after |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in facts["ranges"]:
        best = min(m["seconds"] for m in r["runs"])
        out.append(f"| {what[r['name']]} | {r['wal_mb']:,.0f} | {r['rows']:,} | {r['incomplete']:,} / "
                   f"{r['definitions']:,} | {best:.1f} | "
                   f"{r['rows'] / best:,.0f} | {max(m['hwm_kb'] for m in r['runs']) / 1024:.0f} | "
                   f"{max(m['temp_bytes'] for m in r['runs']) / MB:,.0f} | "
                   f"{statistics.median(m['load_before'] for m in r['runs']):.2f} / "
                   f"{max(m['load_after'] for m in r['runs']):.2f} |")
    return "\n".join(out) + "\n"


def parse_args():
    """The command line, with --quick's sizes filled in."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rows", type=int, help="rows of the one-transaction insert and update (default 5,000,000)")
    ap.add_argument("--wal-gb", type=float, help="GiB of pgbench WAL in the oltp range (default 3)")
    ap.add_argument("--scale", type=int, help="pgbench scale of the oltp range (default 10)")
    ap.add_argument("--runs", type=int, default=1, help="runs of the query per range")
    ap.add_argument("--quick", action="store_true", help="smoke test: 100,000 rows, 0.1 GiB")
    ap.add_argument("--write-benchmarks", action="store_true", help="put the report into BENCHMARKS.md")
    args = ap.parse_args()
    args.rows = args.rows or (100_000 if args.quick else 5_000_000)
    args.wal_gb = args.wal_gb or (0.1 if args.quick else 3.0)
    args.scale = args.scale or (1 if args.quick else 10)
    return args


def main():
    """Measures in a throwaway cluster, always removed, and reports."""
    args = parse_args()
    exit_on_signals()
    note = fit_to_disk(args)
    if note:
        log(note)
    facts = with_clusters("memory.py", lambda clusters: measure(args, clusters))
    report = render(args, facts, note)
    print(report)
    if args.write_benchmarks:
        write_section(BEGIN, END, report)


if __name__ == "__main__":
    main()
