#!/usr/bin/env python3
"""Times xlogminer against pg_waldump, pg_walinspect and logical decoding on the same WAL (issue 10).

Two throwaway clusters (as the `postgres` OS user, in /var/tmp/xlm-bench6-*,
on free ports in 54700-54799) get the same pgbench workload: `pgbench -i -s
SCALE`, then a fixed number of TPC-B-like transactions (`-t`, 4 clients, a
fixed seed), so both write the same row changes:
  - a cluster at the default `wal_level = replica`, whose range of WAL our
    functions, pg_waldump and pg_walinspect read;
  - a cluster at `wal_level = logical` with a `test_decoding` and a
    `wal2json` slot made before the workload, decoded with
    `pg_logical_slot_peek_changes(slot, upto_lsn, NULL)` (peek decodes
    anew on every call, so repeated timings are comparable).
Workloads (--workload): `oltp` (the default), `pgbench -i -s 10` then 300,000
transactions, about 250 MB of ~130-byte records; `fpi`, the bulk load
`pgbench -i -s 80` then 60,000 transactions, about 1 GB of large records
(multi-inserts, index pages). --wal-gb N makes either write at least N GiB:
`oltp` runs more transactions, `fpi` a larger scale, and transactions are
added until the range holds N GiB.

Contenders, each query in a fresh backend (--runs times, interleaved):
  stats     pg_waldump --stats=record, pg_get_wal_stats, xlogminer_stats (per record)
  records   count(*) over pg_get_wal_records_info; over xlogminer_records in FROM
            and in the select list (streamed)
  contents  count(*) over xlogminer_contents streamed and in FROM; the two slots
Reported per contender: best, median and slowest time; rows/s; MB/s of WAL;
peak resident memory of the backend (VmHWM; of the process for pg_waldump);
temporary file bytes; the 1-minute load average before and at the end of
the runs. Row changes (INSERT/UPDATE/DELETE per table) of xlogminer_contents
on the replica cluster must equal those of both plugins on the logical one,
and every row must be `complete`: a mismatch is reported loudly and the
script exits with status 1. --write-benchmarks puts the report into
BENCHMARKS.md between markers of its own per workload, replacing the
previous run's; other sections stay. Clusters are removed on exit, also on
errors and Ctrl-C.

Usage (as root, from the repository root, with the release build installed
by `bash scripts/demo.sh`; this script builds nothing):
  python3 scripts/bench.py --quick                        # smoke test, ~2 min
  python3 scripts/bench.py --wal-gb 1 --write-benchmarks  # OLTP-shaped, >= 1 GiB
  python3 scripts/bench.py --workload fpi --wal-gb 1 --write-benchmarks
"""
import argparse
import math
import os
import shlex
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the clone
from benchlib import (MB, PG_BIN, exit_on_signals, library_stamp, loadavg, log, machine, pgbench_init,
                      pgbench_transactions, run_measured, throwaway_cluster, with_clusters,
                      write_section)

PORTS = range(54700, 54800)
SEED = 42
WORKLOADS = {
    "oltp": {"scale": 10, "transactions": 300_000, "quick": (1, 4_000),
             "shape": "OLTP-shaped WAL (small heap records)"},
    "fpi": {"scale": 80, "transactions": 60_000, "quick": (2, 2_000),
            "shape": "FPI-heavy WAL (bulk load: multi-insert records and index pages)"},
}
FPI_MB_PER_SCALE = 12  # WAL of `fpi` per pgbench scale unit, measured: --wal-gb picks its scale with it
SLOTS = {"test_decoding": ("xlm_test_decoding", ""),
         "wal2json": ("xlm_wal2json", ", 'format-version', '2'")}
OPS = ("INSERT", "UPDATE", "DELETE")
BEGIN = "<!-- bench.py {w}: written by scripts/bench.py --write-benchmarks, replaced by its next run -->"
END = "<!-- /bench.py {w} -->"
QUERY_TIMEOUT = 7200
LOGICAL = ["wal_level = logical", "output_plugin_libraries = 'pgoutput, test_decoding, wal2json'"]


def settings(wal_gb):
    """postgresql.conf lines of both clusters: mining only, so no durability, and no checkpoint or
    WAL recycling within the range."""
    keep = max(16, math.ceil(3 * wal_gb))
    return [f"max_wal_size = {keep}GB", "min_wal_size = 1GB", f"wal_keep_size = {keep}GB",
            "checkpoint_timeout = 1h", "shared_buffers = 256MB", "fsync = off", "synchronous_commit = off",
            "work_mem = 4MB"]


def wal_bytes(c, start):
    """Bytes of WAL c inserted since start."""
    return int(c.query(f"SELECT pg_current_wal_insert_lsn() - '{start}'::pg_lsn"))


def run_workload(c, args, chunks=None):
    """Runs the workload on c: pgbench -i, then transactions in chunks. The first cluster (chunks None)
    adds chunks until its WAL reaches --wal-gb; the second replays the same chunks. A checkpoint ends
    it. Returns (start LSN, end LSN, chunks)."""
    start = c.query("SELECT pg_current_wal_insert_lsn()")
    log(f"port {c.port}: pgbench -i -s {args.scale}")
    pgbench_init(c, args.scale)
    after_init = wal_bytes(c, start)
    target = args.wal_gb * 1024 * MB
    replay = chunks is not None
    chunks = list(chunks) if replay else [args.transactions]
    i = 0
    while i < len(chunks):
        log(f"port {c.port}: {chunks[i]} transactions, {args.clients} clients")
        tps = pgbench_transactions(c, chunks[i], args.clients, SEED)
        written = wal_bytes(c, start)
        log(f"port {c.port}: {tps:.0f} tps; {written / MB:.0f} MB of WAL so far")
        if not replay and i == len(chunks) - 1 and written < target:
            per_txn = max(1.0, (written - after_init) / sum(chunks))
            more = math.ceil((target - written) / per_txn * 1.05)
            chunks.append(math.ceil(more / args.clients) * args.clients)
        i += 1
    c.query("CHECKPOINT")
    end = c.query("SELECT pg_current_wal_flush_lsn()")
    # Nothing may run beside the measurements: autovacuum stops once the range is written,
    # and a worker it started (a VACUUM of the table just loaded) is stopped and waited for.
    c.query("ALTER SYSTEM SET autovacuum = off")
    c.query("SELECT pg_reload_conf()")
    c.query("SELECT pg_sleep(0.5)")
    for _ in range(100):
        running = c.query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE backend_type = 'autovacuum worker'")
        if running == "0":
            break
        time.sleep(0.1)
    return start, end, chunks


def parse_counts(out, width):
    """Rows of `table|op|n|...|text` psql output as {(table, op): (n, ..., text)}: width integer
    columns, then the rest of the line if there is more."""
    counts = {}
    for line in out.splitlines():
        fields = line.split("|", 2 + width)
        counts[(fields[0], fields[1])] = tuple(int(x) for x in fields[2:2 + width]) + tuple(fields[2 + width:])
    return counts


def ours_counts(c, rng):
    """xlogminer_contents' rows per (table, op): {(table, op): (rows, rows not complete, their reasons)}."""
    return parse_counts(c.query(
        "SELECT schema || '.' || relation, op, count(*), count(*) FILTER (WHERE NOT complete), "
        "coalesce(string_agg(DISTINCT info, '; ') FILTER (WHERE NOT complete), '') "
        f"FROM xlogminer_contents({rng}) GROUP BY 1, 2", timeout=QUERY_TIMEOUT), 2)


def plugin_counts(c, plugin, upto):
    """The row changes a slot decodes, per (table, op): {(table, op): (rows,)}."""
    slot, options = SLOTS[plugin]
    peek = f"pg_logical_slot_peek_changes('{slot}', '{upto}', NULL{options})"
    if plugin == "test_decoding":
        sql = ("SELECT m[1], m[2], count(*) FROM (SELECT regexp_match(data, "
               f"'^table ([^:]+): (INSERT|UPDATE|DELETE):') AS m FROM {peek}) x WHERE m IS NOT NULL GROUP BY 1, 2")
    else:
        sql = ("SELECT d->>'schema' || '.' || (d->>'table'), CASE d->>'action' WHEN 'I' THEN 'INSERT' "
               "WHEN 'U' THEN 'UPDATE' ELSE 'DELETE' END, count(*) "
               f"FROM (SELECT data::jsonb AS d FROM {peek}) x WHERE d->>'action' IN ('I', 'U', 'D') GROUP BY 1, 2")
    return parse_counts(c.query(sql, timeout=QUERY_TIMEOUT), 1)


def contenders(args, rc, rng, lc, upto, pg_wal, start, end):
    """The contenders of the selected parts: (key, label, group, function returning a measurement)."""
    parts = set(args.parts.split(","))

    def sql(c, text):
        """A contender running text in a fresh backend of c."""
        return lambda: c.measure(text, QUERY_TIMEOUT)

    # Named, or pg_waldump takes the WAL segment size from whichever file it finds first: maybe a
    # preallocated one, still zeros.
    segments = rc.query(f"SELECT pg_walfile_name('{start}'), pg_walfile_name('{end}')").split("|")

    def waldump():
        """pg_waldump --stats=record over the range, as a measurement."""
        seconds, hwm_kb = run_measured([f"{PG_BIN}/pg_waldump", "--stats=record", "-p", pg_wal, "-s", start,
                                        "-e", end, *segments], QUERY_TIMEOUT)
        return {"seconds": seconds, "hwm_kb": hwm_kb, "temp_bytes": 0, "output": []}

    out = []
    if "stats" in parts:
        out += [("waldump", "pg_waldump --stats=record", "stats", waldump),
                ("wstats", "SELECT * FROM pg_get_wal_stats(..., true)", "stats",
                 sql(rc, f"SELECT * FROM pg_get_wal_stats({rng}, true)")),
                ("xstats", "SELECT * FROM xlogminer_stats(..., true)", "stats",
                 sql(rc, f"SELECT * FROM xlogminer_stats({rng}, true)"))]
    if "records" in parts:
        out += [("wrecords", "SELECT count(*) FROM pg_get_wal_records_info(...)", "records",
                 sql(rc, f"SELECT count(*) FROM pg_get_wal_records_info({rng})")),
                ("xrecords", "SELECT count(*) FROM xlogminer_records(...)", "records",
                 sql(rc, f"SELECT count(*) FROM xlogminer_records({rng})")),
                ("xrecords_s", "SELECT count(*) FROM (SELECT xlogminer_records(...)) r  -- streamed", "records",
                 sql(rc, f"SELECT count(*) FROM (SELECT xlogminer_records({rng})) r"))]
    if "contents" in parts:
        out += [("xcontents_s", "SELECT count(*) FROM (SELECT xlogminer_contents(...)) c  -- streamed", "contents",
                 sql(rc, f"SELECT count(*) FROM (SELECT xlogminer_contents({rng})) c")),
                ("xcontents", "SELECT count(*) FROM xlogminer_contents(...)", "contents",
                 sql(rc, f"SELECT count(*) FROM xlogminer_contents({rng})"))]
    if lc:
        for plugin, (slot, options) in SLOTS.items():
            label = f"SELECT count(*) FROM pg_logical_slot_peek_changes('{slot}', upto, NULL{options})"
            out.append((plugin, label, "contents",
                        sql(lc, f"SELECT count(*) FROM pg_logical_slot_peek_changes('{slot}', '{upto}', NULL{options})")))
    return out


def measure_all(cands, runs, stamp):
    """Runs every contender `runs` times, round after round; {key: [measurement, ...]}. Each measurement
    also holds the 1-minute load average before and after it, and whether the installed library was
    found replaced after it."""
    results = {key: [] for key, *_ in cands}
    for r in range(1, runs + 1):
        for key, label, _group, fn in cands:
            before = os.getloadavg()[0]
            m = fn()
            m.update(load_before=before, load_after=os.getloadavg()[0], replaced=library_stamp() != stamp)
            results[key].append(m)
            log(f"run {r}/{runs} {label}: {m['seconds']:.2f} s, peak {m['hwm_kb'] / 1024:.0f} MB, "
                f"temp {m['temp_bytes'] / MB:.0f} MB, load {before:.2f} -> {m['load_after']:.2f}")
    return results


def compare_counts(ours, plugins):
    """The per-(table, op) comparison: a list of dicts (table, op, ours, incomplete, why, theirs,
    verdict), in table order. ours: from ours_counts; plugins: {plugin: counts from plugin_counts}.
    INSERT, UPDATE and DELETE are compared; TRUNCATE and DDL rows are listed for their completeness."""
    keys = sorted(set(ours) | {k for counts in plugins.values() for k in counts})
    rows = []
    for key in keys:
        n, incomplete, why = ours.get(key, (0, 0, ""))
        theirs = {p: counts.get(key, (0,))[0] for p, counts in plugins.items()}
        compared = key[1] in OPS
        ok = all(v == n for v in theirs.values())
        rows.append({"table": key[0], "op": key[1], "ours": n, "incomplete": incomplete, "why": why,
                     "theirs": theirs, "verdict": "not compared" if not compared else "match" if ok else "MISMATCH"})
    return rows


def count_problems(rows):
    """(mismatch descriptions, row changes not complete) of a comparison from compare_counts."""
    mismatches = [f"{r['table']} {r['op']}: xlogminer_contents {r['ours']}, "
                  + ", ".join(f"{p} {v}" for p, v in r["theirs"].items())
                  for r in rows if r["verdict"] == "MISMATCH"]
    return mismatches, sum(r["incomplete"] for r in rows if r["op"] in OPS)


def spread(ms):
    """(best, median, slowest) seconds of a contender's runs."""
    s = sorted(m["seconds"] for m in ms)
    return s[0], statistics.median(s), s[-1]


def render(args, facts, cands, results):
    """The Markdown report of one run."""
    w = WORKLOADS[args.workload]
    wal_mb = facts["wal_bytes"] / MB
    chunks = facts["chunks"]
    txns = f"{sum(chunks):,} transactions" + (f" ({' + '.join(f'{n:,}' for n in chunks)})" if len(chunks) > 1 else "")
    replaced = [label for key, label, *_ in cands if any(m["replaced"] for m in results[key])]
    out = [
        f"## {w['shape'][0].upper()}{w['shape'][1:]}: xlogminer vs pg_waldump, pg_walinspect and logical decoding",
        "",
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, from the repository root:",
        "",
        "```sh",
        "python3 scripts/bench.py " + shlex.join(sys.argv[1:]),
        "```",
        "",
        f"- Machine: {facts['machine']}; PostgreSQL {facts['version']}; the release build of xlogminer "
        f"installed in the system's PostgreSQL ({facts['library']}).",
        f"- Workload, the same on both clusters: `pgbench -i -s {args.scale}`, then {txns} of pgbench's "
        f"TPC-B-like script (`-t`, {args.clients} clients, `--random-seed={SEED}`), then a checkpoint.",
        f"- Range read by our functions, pg_waldump and pg_walinspect (cluster at `wal_level = replica`): "
        f"**{wal_mb:,.0f} MB of WAL, {facts['records']:,} records** ({facts['wal_bytes'] / facts['records']:.0f} "
        "bytes per record). "
        + (f"The cluster at `wal_level = logical` wrote {facts['logical_mb']:,.0f} MB for the same workload; its "
           "`test_decoding` and `wal2json` slots were made before it." if "logical_mb" in facts else ""),
        "- Settings of both clusters: " + ", ".join(f"`{s}`" for s in facts["settings"])
        + ("; the logical one adds " + ", ".join(f"`{s}`" for s in LOGICAL) if "logical_mb" in facts else "") + ".",
        f"- Each query ran {args.runs} times in a fresh backend, the contenders in turn (round 1 of each, "
        "then round 2, ...); seconds are psql's `\\timing` (pg_waldump: the process's wall time). *rows/s*: "
        "records per second for the records functions, row changes (INSERT/UPDATE/DELETE) per second for "
        "`xlogminer_contents` and the plugins, at the best time. *Peak RSS*: the backend's VmHWM (pg_waldump: "
        "the process's), the largest of the runs; *temp*: the growth of `pg_stat_database.temp_bytes`, the "
        "largest of the runs.",
        f"- **Shared machine**: other engineers build and test on it during the run; figures are those of a "
        f"busy 2-core machine. Load average (1/5/15 min) before the run: {facts['load_before']}; after: "
        f"{facts['load_after']}. The *load* column gives the 1-minute load average before each contender's "
        "runs (median) and at their end (highest).",
    ]
    if replaced:
        out.append("- **The installed xlogminer.so was replaced during the run** (another engineer's install); "
                   "runs of these contenders may have used another build: " + ", ".join(f"`{r}`" for r in replaced))
    out += ["", "| what | best (s) | median (s) | slowest (s) | rows | rows/s | MB/s of WAL | peak RSS (MB) "
            "| temp (MB) | load before / during |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    best = {}
    for key, label, group, _fn in cands:
        ms = results[key]
        lo, med, hi = spread(ms)
        best[key] = (lo, med)
        rows = facts["rows"].get(key)
        cells = [f"`{label}`", f"{lo:.2f}", f"{med:.2f}", f"{hi:.2f}",
                 f"{rows:,}" if rows is not None else "", f"{rows / lo:,.0f}" if rows is not None else "",
                 f"{wal_mb / lo:,.0f}", f"{max(m['hwm_kb'] for m in ms) / 1024:.0f}",
                 f"{max(m['temp_bytes'] for m in ms) / MB:.0f}",
                 f"{statistics.median(m['load_before'] for m in ms):.2f} / {max(m['load_after'] for m in ms):.2f}"]
        out.append("| " + " | ".join(cells) + " |")

    def ratio(ours, theirs, target):
        """`ours` vs `theirs`: their best time over ours (faster > 1), medians in brackets, the target."""
        if ours not in best or theirs not in best:
            return None
        b, m = best[theirs][0] / best[ours][0], best[theirs][1] / best[ours][1]
        met = "" if target is None else f" (target ≥ {target}x: {'met' if b >= target else 'not met'})"
        return f"**{b:.2f}x** (medians: {m:.2f}x){met}"

    lines = [
        ("`xlogminer_stats` vs `pg_waldump --stats=record`", ratio("xstats", "waldump", 2)),
        ("`xlogminer_stats` vs `pg_get_wal_stats`", ratio("xstats", "wstats", None)),
        ("`xlogminer_records` in FROM vs `pg_get_wal_records_info`", ratio("xrecords", "wrecords", 2)),
        ("`xlogminer_records` streamed vs `pg_get_wal_records_info`", ratio("xrecords_s", "wrecords", 3)),
    ]
    if "test_decoding" in best:
        faster = min(SLOTS, key=lambda p: best[p][0])
        lines += [(f"`xlogminer_contents` streamed vs `{faster}` (the faster plugin), rows/s",
                   ratio("xcontents_s", faster, 2)),
                  (f"`xlogminer_contents` in FROM vs `{faster}`, rows/s", ratio("xcontents", faster, None))]
        lines += [(f"`xlogminer_contents` streamed vs `{p}`, rows/s", ratio("xcontents_s", p, None))
                  for p in SLOTS if p != faster]
    lines = [(what, r) for what, r in lines if r]
    if lines:
        out += ["", "Speed, ours/theirs (same range, same work; > 1 means ours is faster):", ""]
        out += [f"- {what}: {r}" for what, r in lines]
    if "counts" in facts:
        rows = facts["counts"]
        mismatches, incomplete = count_problems(rows)
        plugins = list(SLOTS) if "logical_mb" in facts else []
        out += ["", "Row changes per table and operation: `xlogminer_contents` over the range (replica cluster), "
                "the plugins over the same workload (logical cluster). INSERT, UPDATE and DELETE are "
                "compared; TRUNCATE and DDL rows (which the plugins print otherwise or not at all) are shown for "
                "their `complete` flag.",
                "", "| table | op | xlogminer_contents | not complete | "
                + "".join(f"{p} | " for p in plugins) + "check |",
                "|---|---|---:|---:|" + "---:|" * len(plugins) + "---|"]
        for r in rows:
            verdict = "**MISMATCH**" if r["verdict"] == "MISMATCH" else r["verdict"]
            out.append(f"| {r['table']} | {r['op']} | {r['ours']:,} | {r['incomplete']:,} | "
                       + "".join(f"{r['theirs'][p]:,} | " for p in plugins) + f"{verdict} |")
        out.append("")
        if mismatches:
            out.append("**COUNT MISMATCH**: " + "; ".join(mismatches) + ".")
        else:
            totals = ", ".join(f"{sum(r['ours'] for r in rows if r['op'] == op):,} {op}" for op in OPS)
            out.append(f"Counts match ({totals})" + (" on all three sides." if plugins else "."))
        out.append(f"Row changes not `complete`: **{incomplete:,}**.")
        definitions = sum(r["incomplete"] for r in rows if r["op"] not in OPS)
        if definitions:
            reasons = sorted({(r["op"], r["why"]) for r in rows if r["incomplete"] and r["op"] not in OPS})
            out.append(f"TRUNCATE and DDL rows not `complete`: {definitions:,} ("
                       + "; ".join(f"{op}: {why}" for op, why in reasons) + ").")
    if facts.get("records_mismatch"):
        out += ["", f"**RECORD COUNT MISMATCH**: {facts['records_mismatch']}."]
    return "\n".join(out) + "\n"


def parse_args():
    """The command line, with the workload's (or --quick's) sizes filled in."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--workload", choices=sorted(WORKLOADS), default="oltp",
                    help="oltp: pgbench -i -s 10 + 300,000 transactions (default); fpi: -s 80 + 60,000")
    ap.add_argument("--wal-gb", type=float, default=0.0,
                    help="write at least this many GiB of WAL (oltp: more transactions, fpi: a larger scale)")
    ap.add_argument("--scale", type=int, help="pgbench scale (overrides the workload's)")
    ap.add_argument("--transactions", type=int, help="transactions after the load (overrides the workload's)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--runs", type=int, help="runs per contender (default 5; --quick: 2)")
    ap.add_argument("--parts", default="stats,records,contents,logical",
                    help="comma-separated subset of stats,records,contents,logical")
    ap.add_argument("--quick", action="store_true", help="smoke test: a tiny workload, 2 runs")
    ap.add_argument("--write-benchmarks", action="store_true", help="put the report into BENCHMARKS.md")
    args = ap.parse_args()
    w = WORKLOADS[args.workload]
    scale, transactions = w["quick"] if args.quick else (w["scale"], w["transactions"])
    if args.workload == "fpi" and args.wal_gb:
        scale = max(scale, math.ceil(args.wal_gb * 1024 / FPI_MB_PER_SCALE))
    args.scale = args.scale or scale
    args.transactions = math.ceil((args.transactions or transactions) / args.clients) * args.clients
    args.runs = args.runs or (2 if args.quick else 5)
    if not set(args.parts.split(",")) <= {"stats", "records", "contents", "logical"}:
        ap.error("--parts takes a comma-separated subset of stats,records,contents,logical")
    return args


def measure(args, clusters):
    """Writes the workload on both clusters, checks the counts, times the contenders; the report's facts,
    the contenders and their measurements."""
    logical = "logical" in args.parts.split(",")
    conf = settings(args.wal_gb)
    facts = {"settings": conf, "machine": machine(), "load_before": loadavg(), "rows": {}}
    rc = throwaway_cluster(clusters, "replica", PORTS, conf)
    if not rc.query("SELECT 1 FROM pg_available_extensions WHERE name = 'xlogminer'"):
        sys.exit(f"bench.py: xlogminer is not installed in the PostgreSQL of {PG_BIN}; install the release "
                 "build first (bash scripts/demo.sh)")
    facts["version"] = rc.query("SHOW server_version")
    rc.query("CREATE EXTENSION xlogminer; CREATE EXTENSION pg_walinspect")
    stamp = library_stamp()
    facts["library"] = (f"`xlogminer.so` of {stamp[1] / MB:.1f} MB, installed "
                        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(stamp[2]))}")
    start, end, chunks = run_workload(rc, args)
    rng = f"'{start}', '{end}'"
    facts.update(chunks=chunks, wal_bytes=int(rc.query(f"SELECT '{end}'::pg_lsn - '{start}'::pg_lsn")),
                 records=int(rc.query(f"SELECT count(*) FROM (SELECT xlogminer_records({rng})) r",
                                      timeout=QUERY_TIMEOUT)))
    log(f"range {start} .. {end}: {facts['wal_bytes'] / MB:.0f} MB, {facts['records']} records")
    lc = upto = None
    if logical:
        lc = throwaway_cluster(clusters, "logical", PORTS, conf + LOGICAL)
        for plugin, (slot, _options) in SLOTS.items():
            lc.query(f"SELECT pg_create_logical_replication_slot('{slot}', '{plugin}')")
        lstart, upto, _ = run_workload(lc, args, chunks)
        facts["logical_mb"] = int(lc.query(f"SELECT '{upto}'::pg_lsn - '{lstart}'::pg_lsn")) / MB

    if "contents" in args.parts.split(",") or logical:
        log("counting row changes: xlogminer_contents" + (", test_decoding, wal2json" if logical else ""))
        plugins = {p: plugin_counts(lc, p, upto) for p in SLOTS} if logical else {}
        facts["counts"] = compare_counts(ours_counts(rc, rng), plugins)
        changes = sum(r["ours"] for r in facts["counts"] if r["op"] in OPS)
        facts["rows"].update({k: changes for k in ("xcontents_s", "xcontents", *SLOTS)})
        mismatches, incomplete = count_problems(facts["counts"])
        for m in mismatches:
            log(f"COUNT MISMATCH: {m}")
        if incomplete:
            log(f"{incomplete} ROW CHANGES NOT COMPLETE")

    cands = contenders(args, rc, rng, lc, upto, os.path.join(rc.data, "pg_wal"), start, end)
    results = measure_all(cands, args.runs, stamp)
    for key in ("wrecords", "xrecords", "xrecords_s"):
        if key in results:
            facts["rows"][key] = int(results[key][0]["output"][0])
    counted = {k: facts["rows"][k] for k in ("wrecords", "xrecords", "xrecords_s") if k in facts["rows"]}
    if len(set(counted.values()) | {facts["records"]}) > 1:
        facts["records_mismatch"] = ", ".join(f"{k} {v}" for k, v in counted.items())
        log(f"RECORD COUNT MISMATCH: {facts['records_mismatch']} (xlogminer_records streamed: {facts['records']})")
    facts["load_after"] = loadavg()
    return facts, cands, results


def main():
    """Runs the benchmark in throwaway clusters, always removed, and reports."""
    args = parse_args()
    exit_on_signals()
    facts, cands, results = with_clusters("bench.py", lambda clusters: measure(args, clusters))
    report = render(args, facts, cands, results)
    print(report)
    if args.write_benchmarks:
        write_section(BEGIN.format(w=args.workload), END.format(w=args.workload), report)
    mismatches, incomplete = count_problems(facts.get("counts", []))
    problems = [p for p, bad in (("row counts differ", mismatches), ("record counts differ", facts.get(
        "records_mismatch")), (f"{incomplete} row changes not complete", incomplete)) if bad]
    if problems:
        sys.exit("bench.py: " + "; ".join(problems) + " (see the report)")

if __name__ == "__main__":
    main()
