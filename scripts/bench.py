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
import re
import shutil
import subprocess
import sys
import time

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def as_pg(cmd):
    return ["sudo", "-u", "postgres", "-H", "--"] + cmd


class Cluster:
    def __init__(self, path, port):
        self.path, self.port = path, port
        self.data = os.path.join(path, "data")

    def start(self, fresh):
        if fresh and os.path.exists(self.path):
            self.stop()
            shutil.rmtree(self.path)
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            os.makedirs(self.data, exist_ok=True)
            shutil.chown(self.path, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
            os.chmod(self.data, 0o700)
            sh(as_pg([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"]))
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write(f"port = {self.port}\nunix_socket_directories = '{self.path}'\nlisten_addresses = ''\n"
                        "max_wal_size = 16GB\nmin_wal_size = 1GB\nwal_keep_size = 16GB\ncheckpoint_timeout = 1h\n"
                        "shared_buffers = 256MB\nfsync = off\nsynchronous_commit = off\nwork_mem = 4MB\n")
        sh(as_pg([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.path, "server.log"), "-w", "start"]))

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            subprocess.run(as_pg([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                           capture_output=True)

    def psql_args(self):
        return [f"{PG_BIN}/psql", "-X", "-q", "-h", self.path, "-p", str(self.port), "-U", "postgres",
                "-d", "postgres", "-v", "ON_ERROR_STOP=1"]

    def query(self, sql):
        return sh(self.psql_args() + ["-At", "-c", sql]).strip()

    def measure(self, sql):
        """Runs sql in a fresh backend: (seconds, peak RSS kB, temp bytes written, output)."""
        temp0 = int(self.query("SELECT temp_bytes FROM pg_stat_database WHERE datname = 'postgres'"))
        script = (
            "SELECT pg_backend_pid() AS pid \\gset\n"
            "\\setenv XLM_BPID :pid\n"
            "\\timing on\n"
            f"{sql};\n"
            "\\timing off\n"
            "\\! grep VmHWM /proc/$XLM_BPID/status\n"
        )
        out = sh(self.psql_args() + ["-At"], input=script)
        ms = float(re.search(r"Time: ([0-9.]+) ms", out).group(1))
        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", out).group(1))
        time.sleep(0.6)  # the backend flushes its statistics as it exits
        temp1 = int(self.query("SELECT temp_bytes FROM pg_stat_database WHERE datname = 'postgres'"))
        result = out.split("\n")[0]
        return ms / 1000.0, hwm, temp1 - temp0, result


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

    c = Cluster(args.dir, args.port)
    rangefile = os.path.join(args.dir, "range")
    c.start(fresh=not args.reuse)
    try:
        if args.reuse and os.path.exists(rangefile):
            start, end = open(rangefile).read().split()
        else:
            c.query("CREATE EXTENSION IF NOT EXISTS xlogminer; CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            start = c.query("SELECT pg_current_wal_flush_lsn()")
            conn = ["-h", args.dir, "-p", str(args.port), "-U", "postgres", "postgres"]
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
