#!/usr/bin/env python3
"""Measures what mining the WAL costs a running workload (issue 9).

Starts a throwaway cluster (as the `postgres` OS user, in /var/tmp/xlm-load-*,
on a free port in 54500-54599), loads pgbench (`pgbench -i -s SCALE`),
checkpoints, and runs pgbench unthrottled for --fill seconds: that writes the
WAL to mine and measures the workload's maximum tps. Then, --rounds times:
  A  pgbench at a fixed rate (-R, by default half the measured maximum);
  B  the same, while another session mines in a loop
       SELECT count(*) FROM xlogminer_contents(start_lsn => <LSN before the fill>,
                                               start_time => now() - interval '60 minutes')
     that is, the last hour of WAL but none older than the run's own
     (--window-minutes; --scan-from-oldest drops start_lsn, so the function
     finds the window itself from the oldest segment in pg_wal);
  C  the control: the same, while another session runs in a loop a
     statement that only sleeps as long as a mining call of the round's B
     phase took (SELECT 0 FROM pg_sleep(<median call>); the whole phase if
     no call ended). Like any statement it holds a snapshot while it runs,
     and so keeps VACUUM and page pruning from removing the row versions
     the workload's updates leave behind since it began, as a mining call
     does; it uses no CPU. B against C is what mining costs beyond holding
     statements open that long.
A phase reports tps; latency mean/p50/p95/p99 from pgbench's per-transaction
log (counted from each transaction's scheduled start, so queueing shows);
transactions skipped or late against --latency-limit; the mining calls
completed and their duration; the mining backend's peak RSS (VmHWM); the CPU
the machine's other processes used; and the load average. Prints Markdown
(per phase, then medians and the change B vs A); --write-benchmarks puts the
report into BENCHMARKS.md, replacing the section of a previous run. The
cluster is stopped and removed on exit, also on errors and Ctrl-C.

Usage (as root, from the repository root):
  python3 scripts/load.py --quick              # smoke test: scale 5, 10 s phases, 1 round (~1 min)
  python3 scripts/load.py --write-benchmarks   # scale 50, 120 s fill, 3 x (60 s A, B, C) (~13 min)
The extension must already be installed (bash scripts/demo.sh).
"""
import argparse
import math
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the clone
from benchlib import PG_BIN, Cluster, exit_on_signals, free_port, loadavg, log, machine, write_section

# Durability as shipped (fsync, synchronous_commit, full_page_writes on).
SETTINGS = [
    "shared_buffers = 2GB",  # the pgbench tables (750 MB at scale 50) stay in memory
    "effective_cache_size = 16GB",
    "maintenance_work_mem = 256MB",
    # No checkpoint during a run: the mined WAL stays in pg_wal and every
    # phase writes WAL of the same shape (no burst of full-page images).
    "max_wal_size = 16GB",
    "min_wal_size = 1GB",
    "wal_keep_size = 16GB",
    "checkpoint_timeout = 1h",
]
# Phase C's statement, sleeping as long as a mining call of phase B took.
CONTROL_SQL = "SELECT 0 AS n FROM pg_sleep({seconds:.1f})"
PHASE_NAMES = {"A": "baseline", "B": "mining", "C": "control"}
DEFAULTS = {"scale": 50, "fill": 120, "phase": 60, "rounds": 3}
QUICK = {"scale": 5, "fill": 10, "phase": 10, "rounds": 1}
PORTS = range(54500, 54600)
BEGIN = "<!-- workload-impact: written by scripts/load.py --write-benchmarks, replaced on every run -->"
END = "<!-- /workload-impact -->"
TICK = os.sysconf("SC_CLK_TCK")

_children = []


def spawn(cmd, **kw):
    """Starts cmd with stdout and stderr captured; it is killed if the script ends first."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    _children.append(p)
    return p


def finish(p, timeout, ok=(0,)):
    """Waits for p, killing it after timeout seconds; its stdout. Raises unless its exit status is in ok."""
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError(f"`{shlex.join(p.args)}` did not finish within {timeout} s")
    finally:
        _children.remove(p)
    if p.returncode not in ok:
        raise RuntimeError(f"`{shlex.join(p.args)}` exited with {p.returncode}:\n{err.strip()}")
    return out


def kill_children():
    """Kills the child processes still running."""
    for p in _children:
        p.kill()
        p.wait(timeout=30)
    _children.clear()


def pgbench(c, clients, threads, seconds, *extra):
    """A pgbench command line: a run of `seconds` on c's postgres database, without its initial vacuum."""
    return ([f"{PG_BIN}/pgbench", "-n", "-c", str(clients), "-j", str(threads), "-T", str(seconds)]
            + list(extra) + c.conn_args() + ["postgres"])


def tps_of(pgbench_output):
    """The tps pgbench reported."""
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", pgbench_output).group(1))


def pgbench_log(prefix):
    """The lines of the per-transaction logs pgbench wrote with --log-prefix=prefix (one file per thread)."""
    folder, name = os.path.split(prefix)
    lines = []
    for f in sorted(os.listdir(folder)):
        if re.fullmatch(re.escape(name) + r"\.\d+(\.\d+)?", f):
            with open(os.path.join(folder, f)) as fh:
                lines += [line.split() for line in fh]
    return lines


def percentile(values, q):
    """Nearest-rank percentile q (0..1) of sorted values."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def read_text(path):
    """The stripped contents of a file, or "" if it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def vm_hwm_kb(pid):
    """Peak resident memory of a process so far, in kB."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


def proc_ticks(pid):
    """(own, reaped children's) CPU ticks of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3 (state)
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def cluster_seconds(c):
    """CPU seconds the cluster used so far: the postmaster, its live children and those it reaped."""
    with open(os.path.join(c.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    own, reaped = proc_ticks(postmaster)
    ticks = own + reaped
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == postmaster:
                ticks += proc_ticks(entry)[0]
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile: the postmaster's reaped ticks have it
    return ticks / TICK


def cpu_sample(c):
    """(wall time, busy CPU seconds of the machine, of the cluster, of this script and its children)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    mine = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN)))
    return time.monotonic(), (user + nice + system + irq + softirq + steal) / TICK, cluster_seconds(c), mine


def other_cores(s0, s1):
    """Cores the machine's other processes kept busy, on average, between two cpu_samples."""
    wall, busy, cluster, mine = (b - a for a, b in zip(s0, s1))
    return max(0.0, busy - cluster - mine) / wall


class Miner:
    """The mining loop: one pgbench client running the mining query over and over on one connection."""

    def __init__(self, c, sql, prefix, seconds):
        """Starts the loop and returns once its backend is known; sql must name its count `n`."""
        self.c, self.prefix = c, prefix
        with open(prefix + ".sql", "w") as f:
            f.write("SELECT pg_backend_pid() AS pid \\gset\n"
                    f"\\shell echo :pid > {prefix}.pid\n"
                    f"{sql} \\gset\n"
                    f"\\shell echo :n >> {prefix}.rows\n")
        # stop() ends the loop; -T only bounds it should that never come.
        self.proc = spawn(pgbench(c, 1, 1, seconds + 600, "-f", prefix + ".sql", "-l", f"--log-prefix={prefix}"))
        deadline = time.monotonic() + 60
        while not (pid := read_text(prefix + ".pid")):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                finish(self.proc, 10)
                raise RuntimeError("the mining loop did not start")
            time.sleep(0.05)
        self.pid = int(pid)

    def stop(self):
        """Reads the backend's peak RSS, cancels the call in progress; what the loop did."""
        if self.proc.poll() is not None:
            finish(self.proc, 10)
            raise RuntimeError("the mining loop ended before the phase did")
        hwm = vm_hwm_kb(self.pid)
        deadline = time.monotonic() + 60
        while self.proc.poll() is None and time.monotonic() < deadline:
            # A cancel between two statements is lost; the next one lands.
            self.c.query(f"SELECT pg_cancel_backend({self.pid})", timeout=30)
            time.sleep(0.2)
        finish(self.proc, 30, ok=(0, 2))  # 2: the cancelled call aborted the client
        seconds = [int(f[2]) / 1e6 for f in pgbench_log(self.prefix)]
        rows = [int(n) for n in read_text(self.prefix + ".rows").split()]
        return {"calls": len(seconds), "call_s": statistics.median(seconds) if seconds else None,
                "rows": rows[-1] if rows else None, "hwm_mb": hwm / 1024}


def run_phase(c, args, rate, sql, prefix):
    """One phase: pgbench at rate for args.phase seconds, with the mining loop when sql is given."""
    s0 = cpu_sample(c)
    miner = Miner(c, sql, prefix + "-miner", args.phase) if sql else None
    extra = ["-R", str(rate), "-l", f"--log-prefix={prefix}"]
    if args.latency_limit:
        extra += ["-L", f"{args.latency_limit:g}"]
    out = finish(spawn(pgbench(c, args.clients, args.threads, args.phase, *extra)), args.phase + 120)
    result = miner.stop() if miner else {}
    transactions = pgbench_log(prefix)
    latencies = sorted(int(f[2]) / 1000 for f in transactions if f[2] != "skipped")
    if not latencies:
        raise RuntimeError(f"pgbench completed no transaction in phase {prefix}")
    time.sleep(0.5)  # the postmaster reaps the backends of the clients just gone
    result.update({
        "tps": tps_of(out),
        "mean": statistics.fmean(latencies),
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "skipped": len(transactions) - len(latencies),
        "late": sum(1 for ms in latencies if ms > args.latency_limit) if args.latency_limit else None,
        "other_cores": other_cores(s0, cpu_sample(c)),
        "load1": os.getloadavg()[0],
    })
    return result


def mining_sql(args, start_lsn):
    """The mining query over the configured window."""
    window = [] if args.scan_from_oldest else [f"start_lsn => '{start_lsn}'"]
    window.append(f"start_time => now() - interval '{args.window_minutes} minutes'")
    if args.query:
        return args.query
    return f"SELECT count(*) AS n FROM xlogminer_contents({', '.join(window)})"


def measure(c, args):
    """Loads pgbench, writes the WAL to mine, runs the rounds; the facts the report needs."""
    if not c.query("SELECT 1 FROM pg_available_extensions WHERE name = 'xlogminer'", timeout=60):
        sys.exit(f"load.py: xlogminer is not installed in the PostgreSQL of {PG_BIN}; "
                 "install it first (bash scripts/demo.sh)")
    c.query("CREATE EXTENSION xlogminer", timeout=60)
    library = os.path.join(subprocess.check_output([f"{PG_BIN}/pg_config", "--pkglibdir"], text=True,
                                                   timeout=60).strip(), "xlogminer.so")
    built = os.stat(library).st_mtime
    facts = {"version": c.query("SHOW server_version", timeout=60), "machine": machine()}
    logdir = os.path.join(c.path, "logs")
    os.makedirs(logdir)

    log(f"pgbench -i -s {args.scale}")
    finish(spawn([f"{PG_BIN}/pgbench", "-i", "-s", str(args.scale), "-q"] + c.conn_args() + ["postgres"]),
           300 + 20 * args.scale)
    c.query("CHECKPOINT", timeout=600)
    start_lsn = c.query("SELECT pg_current_wal_insert_lsn()", timeout=60)
    log(f"fill: {args.fill} s unthrottled, {args.clients} clients")
    facts["max_tps"] = tps_of(finish(spawn(pgbench(c, args.clients, args.threads, args.fill)), args.fill + 120))
    rate = args.rate or max(1, round(facts["max_tps"] * args.rate_fraction))
    wal_mb = f"(pg_current_wal_insert_lsn() - '{start_lsn}') / 1048576"
    facts.update(rate=rate, sql=mining_sql(args, start_lsn),
                 fill_mb=float(c.query(f"SELECT {wal_mb}", timeout=60)))
    log(f"max {facts['max_tps']:.0f} tps; phases at {rate} tps; WAL to mine: {facts['fill_mb']:.0f} MB")

    facts["phases"] = []
    for r in range(1, args.rounds + 1):
        # Without a mining call to match, the control holds one statement past the phase's end.
        sleep_s = args.phase + 600
        for kind in args.phases:
            sql = {"A": None, "B": facts["sql"], "C": CONTROL_SQL.format(seconds=sleep_s)}[kind]
            res = run_phase(c, args, rate, sql, os.path.join(logdir, f"{kind}{r}"))
            if kind == "B" and res["call_s"]:
                sleep_s = res["call_s"]
            if kind == "C":
                res["sleep_s"] = sleep_s
            # On a shared machine an install can replace the library during a run.
            res.update(round=r, kind=kind, replaced=os.stat(library).st_mtime != built)
            facts["phases"].append(res)
            mined = f", {res['calls']} mining calls" if kind == "B" else ""
            log(f"round {r} {kind}: {res['tps']:.1f} tps, p50 {res['p50']:.2f} ms, p99 {res['p99']:.2f} ms{mined}, "
                f"other CPU {res['other_cores']:.2f} cores, load {res['load1']:.2f}")
    facts["end_mb"] = float(c.query(f"SELECT {wal_mb}", timeout=60))
    return facts


def fmt(x, digits=1):
    """x with digits decimals, or a dash for None."""
    return "–" if x is None else f"{x:.{digits}f}"


def change(a, b):
    """b relative to a, in percent, signed."""
    return f"{(b - a) / a * 100:+.1f} %"


def render(args, settings, facts, load_before, load_after):
    """The Markdown report."""
    ph = facts["phases"]
    replaced = next((p for p in ph if p["replaced"]), None)
    limit = f"{args.latency_limit:g} ms" if args.latency_limit else "none"
    out = [
        "## Workload impact (issue 9)",
        "",
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, from the repository root:",
        "",
        "```sh",
        "python3 scripts/load.py " + shlex.join(sys.argv[1:]),
        "```",
        "",
        f"- Machine: {facts['machine']}; PostgreSQL {facts['version']}.",
        "- Settings: " + ", ".join(f"`{s}`" for s in settings) + "; the rest as shipped "
        "(fsync, synchronous_commit and full_page_writes on).",
        f"- Workload: `pgbench -i -s {args.scale}`, a checkpoint, then {args.fill} s of unthrottled pgbench "
        f"(built-in TPC-B-like script, {args.clients} clients, {args.threads} threads): "
        f"**{facts['max_tps']:.0f} tps** at most. Phases: `pgbench -R {facts['rate']}` "
        f"({facts['rate'] / facts['max_tps'] * 100:.0f} % of that) for {args.phase} s, same clients; "
        f"latency limit {limit}; latency counted from each transaction's scheduled start "
        "(pgbench's per-transaction log), so waiting in the queue counts.",
        f"- Rounds: {args.rounds} x (" + ", ".join(f"{k}: {PHASE_NAMES[k]}" for k in args.phases)
        + "), interleaved " + " ".join(args.phases * 2) + " ...",
        f"- Mining (phase B): one session runs `{facts['sql']}` over and over for the whole phase. "
        f"WAL written since the fill began: {facts['fill_mb']:.0f} MB after the fill, "
        f"{facts['end_mb']:.0f} MB at the end.",
        *(["- Control (phase C): one session runs `SELECT 0 AS n FROM pg_sleep(s)` over and over, s the "
           "median duration of the mining calls in the round's phase B (the whole phase when none ended; "
           "column *s per call*): no work, but like any statement (a mining call too) it holds a snapshot "
           "while it runs, so VACUUM and page pruning keep every row version the workload's updates leave "
           "behind since it began. B against C is what mining costs beyond holding statements open that "
           "long."] if "C" in args.phases else []),
        f"- Shared machine: another engineer compiles and runs tests on it at times. Load average "
        f"(1/5/15 min) before: {load_before}; after: {load_after}. Per phase, *other CPU* is the CPU "
        "the machine's other processes used (all busy time minus the cluster's and the load "
        "script's), in cores; *load* the 1-minute load average at the phase's end (the cluster's own "
        "processes count in it).",
        *([f"- **The installed xlogminer.so was replaced during the run** (another build was installed), "
            f"first seen at the end of round {replaced['round']} phase {replaced['kind']}: mining phases "
            "from then on may have run another build."] if replaced else []),
        "",
        "| round | phase | tps | latency mean / p50 / p95 / p99 (ms) | skipped / late | mining calls "
        "| s per call (median) | rows in the last call | mining backend peak RSS (MB) | other CPU (cores) | load |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in ph:
        mining = ([str(p["calls"]), fmt(p["call_s"], 2), fmt(p["rows"], 0), fmt(p["hwm_mb"], 0)]
                  if p["kind"] == "B" else ["", fmt(p["sleep_s"], 1), "", ""] if p["kind"] == "C" else [""] * 4)
        cells = [str(p["round"]), p["kind"], f"{p['tps']:.1f}",
                 f"{p['mean']:.2f} / {p['p50']:.2f} / {p['p95']:.2f} / {p['p99']:.2f}",
                 f"{p['skipped']} / {fmt(p['late'], 0)}", *mining, f"{p['other_cores']:.2f}", f"{p['load1']:.2f}"]
        out.append("| " + " | ".join(cells) + " |")

    def med(kind, key):
        """The median of key over the phases of kind."""
        return statistics.median(p[key] for p in ph if p["kind"] == kind)

    kinds = [k for k in "ABC" if k in args.phases]
    pairs = [p for p in (("A", "B"), ("C", "B"), ("A", "C")) if p[0] in kinds and p[1] in kinds]
    out += ["", f"Medians over {args.rounds} round{'s' if args.rounds > 1 else ''}:", "",
            "| | " + " | ".join(f"{k}: {PHASE_NAMES[k]}" for k in kinds) + " | "
            + " | ".join(f"{y} vs {x}" for x, y in pairs) + " |",
            "|---|" + "---:|" * (len(kinds) + len(pairs))]
    for key, name in (("tps", "tps"), ("mean", "latency mean (ms)"), ("p50", "latency p50 (ms)"),
                      ("p95", "latency p95 (ms)"), ("p99", "latency p99 (ms)")):
        out.append(f"| {name} | " + " | ".join(f"{med(k, key):.2f}" for k in kinds) + " | "
                   + " | ".join(change(med(x, key), med(y, key)) for x, y in pairs) + " |")
    for x, y, what in (("A", "B", "mining against the baseline"), ("C", "B", "mining against the control")):
        if x not in kinds or y not in kinds:
            continue
        verdicts = []
        for key, name, worse in (("tps", "tps", -1), ("p50", "p50", 1), ("p95", "p95", 1), ("p99", "p99", 1)):
            a, b = med(x, key), med(y, key)
            verdicts.append(f"{name} {change(a, b)} ({'met' if worse * (b - a) / a * 100 < 5 else 'not met'})")
        out += ["", f"Target (issue 9): less than 5 % loss; {what} ({y} vs {x}): " + "; ".join(verdicts) + "."]
    return "\n".join(out) + "\n"


def parse_args():
    """The command line, with --quick's or the default sizes filled in."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: scale 5, 10 s fill and phases, 1 round (explicit options win)")
    ap.add_argument("--scale", type=int, help=f"pgbench scale (default {DEFAULTS['scale']})")
    ap.add_argument("--fill", type=int, help=f"seconds of unthrottled pgbench writing the WAL to mine "
                                             f"(default {DEFAULTS['fill']})")
    ap.add_argument("--phase", type=int, help=f"seconds per phase (default {DEFAULTS['phase']})")
    ap.add_argument("--rounds", type=int, help=f"A/B rounds (default {DEFAULTS['rounds']})")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rate", type=int, help="transactions per second in the phases (default: --rate-fraction "
                                             "of the fill's tps)")
    ap.add_argument("--rate-fraction", type=float, default=0.5)
    ap.add_argument("--latency-limit", type=float, default=100,
                    help="ms; pgbench skips transactions already this late and counts those over it (0: none)")
    ap.add_argument("--window-minutes", type=int, default=60, help="mine the last N minutes of WAL")
    ap.add_argument("--phases", default="ABC",
                    help="the phases of a round, in order, of A (baseline), B (mining), C (control) (default ABC)")
    ap.add_argument("--query", help="run this instead of the mining query in phase B (it must name its result n)")
    ap.add_argument("--scan-from-oldest", action="store_true",
                    help="do not bound the window by the LSN before the fill (the issue's literal query)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="an extra postgresql.conf setting (repeatable)")
    ap.add_argument("--write-benchmarks", action="store_true", help="put the report into BENCHMARKS.md")
    args = ap.parse_args()
    for key, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.phases or set(args.phases) - set("ABC") or len(set(args.phases)) != len(args.phases):
        ap.error("--phases takes each of A, B, C at most once")
    if any("=" not in s for s in args.set):
        ap.error("--set takes NAME=VALUE")
    return args


def main():
    """Runs the measurement in a throwaway cluster, always removed, and reports."""
    args = parse_args()
    settings = SETTINGS + [" = ".join(part.strip() for part in s.split("=", 1)) for s in args.set]
    exit_on_signals()
    load_before = loadavg()
    c = Cluster(tempfile.mkdtemp(prefix="xlm-load-", dir="/var/tmp"), free_port(PORTS), settings)
    try:
        c.start()
        facts = measure(c, args)
    except KeyboardInterrupt:
        sys.exit("load.py: interrupted")
    finally:
        kill_children()
        c.stop()
        shutil.rmtree(c.path, ignore_errors=True)
    report = render(args, settings, facts, load_before, loadavg())
    print(report)
    if args.write_benchmarks:
        write_section(BEGIN, END, report)


if __name__ == "__main__":
    main()
