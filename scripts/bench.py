#!/usr/bin/env python3
"""Benchmarks xlogminer against pg_waldump and pg_walinspect on the same WAL.

Starts a throwaway cluster (as the `postgres` OS user), generates pgbench
WAL (`pgbench -i -s SCALE` plus a run), then times, on that one range:
  - pg_waldump --stats           vs  xlogminer_stats / pg_get_wal_stats
  - count(*) over pg_get_wal_records_info  vs  xlogminer_records
    (in FROM, materialized by the executor, and in the select list, streamed)
  - count(*) over xlogminer_contents
Each query runs in a fresh backend; the backend's peak resident memory
(VmHWM) and the temp-file bytes it wrote (pg_stat_database) are recorded.
Prints a Markdown report; --write appends it to BENCHMARKS.md.

Usage: scripts/bench.py [--scale 60] [--transactions 40000] [--runs 2] [--write]
Run `bash scripts/demo.sh` (or scripts/setup-toolchain.sh + cargo pgrx install
--release) first so the release build of the extension is installed.
"""
import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the clone
from benchlib import PG_BIN, ROOT, Cluster, sh

# Mining only: durability is irrelevant and a checkpoint must not recycle the range.
SETTINGS = ["max_wal_size = 16GB", "min_wal_size = 1GB", "wal_keep_size = 16GB", "checkpoint_timeout = 1h",
            "shared_buffers = 256MB", "fsync = off", "synchronous_commit = off", "work_mem = 4MB"]


def best(runs, fn):
    results = [fn() for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=60)
    ap.add_argument("--transactions", type=int, default=40000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--dir", default="/var/tmp/xlogminer-bench")
    ap.add_argument("--port", type=int, default=54331)
    ap.add_argument("--reuse", action="store_true", help="reuse the cluster and range of a previous run")
    ap.add_argument("--write", action="store_true", help="append the report to BENCHMARKS.md")
    ap.add_argument("--parts", default="stats,records,contents", help="comma-separated: stats,records,contents")
    args = ap.parse_args()

    c = Cluster(args.dir, args.port, SETTINGS)
    rangefile = os.path.join(args.dir, "range")
    c.start(fresh=not args.reuse)
    try:
        if args.reuse and os.path.exists(rangefile):
            start, end = open(rangefile).read().split()
        else:
            c.query("CREATE EXTENSION IF NOT EXISTS xlogminer; CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            start = c.query("SELECT pg_current_wal_flush_lsn()")
            conn = c.conn_args() + ["postgres"]
            sh([f"{PG_BIN}/pgbench", "-i", "-s", str(args.scale), "-q"] + conn)
            sh([f"{PG_BIN}/pgbench", "-n", "-c", "2", "-j", "2", "-t", str(args.transactions // 2)] + conn)
            c.query("CHECKPOINT")
            end = c.query("SELECT pg_current_wal_flush_lsn()")
            with open(rangefile, "w") as f:
                f.write(f"{start} {end}\n")
        wal_bytes = int(c.query(f"SELECT '{end}'::pg_lsn - '{start}'::pg_lsn"))
        nrec = int(c.query(f"SELECT count(*) FROM xlogminer_records('{start}', '{end}')"))
        rng = f"'{start}', '{end}'"

        def waldump():
            t0 = time.perf_counter()
            subprocess.run([f"{PG_BIN}/pg_waldump", "--stats", "-p", os.path.join(c.data, "pg_wal"),
                            "-s", start, "-e", end], check=True, capture_output=True)
            return time.perf_counter() - t0, 0, 0, ""

        rows = []
        def add(name, fn):
            r = best(args.runs, fn)
            rows.append((name, r))
            print(f"  {name}: {r[0]:.2f} s, peak {r[1] / 1024:.0f} MB, temp {r[2] / 1048576:.0f} MB", file=sys.stderr)
            return r

        print(f"range {start} .. {end}: {wal_bytes / 1048576:.0f} MB of WAL, {nrec} records", file=sys.stderr)
        parts = set(args.parts.split(","))
        wd = gs = xs = gr = xr = xrs = xc = xcs = None
        if "stats" in parts:
            wd = add("pg_waldump --stats", waldump)
            gs = add("SELECT * FROM pg_get_wal_stats(...)", lambda: c.measure(f"SELECT * FROM pg_get_wal_stats({rng})"))
            xs = add("SELECT * FROM xlogminer_stats(...)", lambda: c.measure(f"SELECT * FROM xlogminer_stats({rng})"))
        if "records" in parts or "contents" in parts:
            gr = add("SELECT count(*) FROM pg_get_wal_records_info(...)",
                     lambda: c.measure(f"SELECT count(*) FROM pg_get_wal_records_info({rng})"))
        if "records" in parts:
            xr = add("SELECT count(*) FROM xlogminer_records(...)",
                     lambda: c.measure(f"SELECT count(*) FROM xlogminer_records({rng})"))
            xrs = add("SELECT count(*) FROM (SELECT xlogminer_records(...)) s  -- streaming",
                      lambda: c.measure(f"SELECT count(*) FROM (SELECT xlogminer_records({rng})) s"))
        if "contents" in parts:
            xc = add("SELECT count(*) FROM xlogminer_contents(...)",
                     lambda: c.measure(f"SELECT count(*) FROM xlogminer_contents({rng})"))
            xcs = add("SELECT count(*) FROM (SELECT xlogminer_contents(...)) s  -- streaming",
                      lambda: c.measure(f"SELECT count(*) FROM (SELECT xlogminer_contents({rng})) s"))
    finally:
        c.stop()

    mb = wal_bytes / 1048576
    out = []
    out.append(f"### Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    out.append(f"Command: `python3 scripts/bench.py --scale {args.scale} --transactions {args.transactions} --runs {args.runs} --parts {args.parts}`  ")
    out.append(f"WAL: {mb:.0f} MB, {nrec} records (pgbench -i -s {args.scale} plus {args.transactions} transactions); "
               f"best of {args.runs} runs; 2 cores.\n")
    out.append("| what | seconds | MB/s of WAL | peak backend RSS (MB) | temp files (MB) |")
    out.append("|---|---:|---:|---:|---:|")
    for name, (s, hwm, temp, _) in rows:
        out.append(f"| `{name}` | {s:.2f} | {mb / s:.0f} | {hwm / 1024:.0f} | {temp / 1048576:.0f} |")
    out.append("")
    if xs:
        out.append(f"- `xlogminer_stats` vs `pg_waldump --stats`: **{wd[0] / xs[0]:.2f}x** faster; "
                   f"vs `pg_get_wal_stats`: **{gs[0] / xs[0]:.2f}x** faster.")
    if xr:
        out.append(f"- `xlogminer_records` vs `pg_get_wal_records_info` (count(*)): **{gr[0] / xr[0]:.2f}x** faster in FROM, "
                   f"**{gr[0] / xrs[0]:.2f}x** in the streaming select-list form (temp files: {xrs[2]} bytes, "
                   f"in FROM: {xr[2]} bytes; pg_walinspect: {gr[2]} bytes).")
    if xc:
        ncont = int(xc[3]) if xc[3].isdigit() else 0
        out.append(f"- `xlogminer_contents`: {ncont} rows in {xc[0]:.2f} s = {ncont / xc[0]:.0f} rows/s; "
                   f"vs `pg_get_wal_records_info` over the same range: **{gr[0] / xc[0]:.2f}x**; peak RSS {xc[1] / 1024:.0f} MB "
                   f"(streaming form {xcs[1] / 1024:.0f} MB, {xcs[2]} temp bytes).")
    report = "\n".join(out) + "\n"
    print(report)
    if args.write:
        with open(os.path.join(ROOT, "BENCHMARKS.md"), "a") as f:
            f.write("\n" + report)


if __name__ == "__main__":
    main()
