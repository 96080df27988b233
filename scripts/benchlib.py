"""Shared helpers for xlogminer's benchmark scripts (bench.py, memory.py, load.py).

A throwaway cluster runs as the `postgres` OS user (the server refuses to run
as root) in a directory the script owns; clients (psql, pgbench, pg_waldump)
run as the calling user and connect through the cluster's own Unix socket
directory. Every child process runs with a timeout.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1048576


def log(msg):
    """Prints a progress line to stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(cmd, timeout, **kw):
    """Runs cmd, raising on a non-zero exit (with its stderr) or after timeout seconds; returns its stdout."""
    p = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"`{shlex.join(cmd)}` exited with {p.returncode}:\n{p.stderr.strip()}")
    return p.stdout


def as_pg(cmd):
    """cmd run as the `postgres` OS user."""
    return ["sudo", "-u", "postgres", "-H", "--"] + cmd


def exit_on_signals():
    """Turns SIGTERM and SIGHUP into SystemExit, so `finally` blocks clean up as they do on Ctrl-C."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))


def free_port(ports):
    """The first port of ports that no server's Unix socket uses."""
    with open("/proc/net/unix") as f:
        used = {int(p) for p in re.findall(r"\.s\.PGSQL\.(\d+)", f.read())}
    return next(p for p in ports if p not in used)


def machine():
    """Cores, memory and operating system, for a report."""
    with open("/proc/meminfo") as f:
        mem_gib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1)) / 1048576
    with open("/etc/os-release") as f:
        os_name = re.search(r'PRETTY_NAME="?([^"\n]*)', f.read()).group(1)
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, {os_name}"


def loadavg():
    """The 1, 5 and 15 minute load averages, for a report."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def library_stamp():
    """(path, size, mtime) of the installed xlogminer library: another install during a run changes it."""
    pkglib = sh([f"{PG_BIN}/pg_config", "--pkglibdir"], timeout=60).strip()
    path = os.path.join(pkglib, "xlogminer.so")
    st = os.stat(path)
    return path, st.st_size, st.st_mtime


def write_section(begin, end, report):
    """Puts report into BENCHMARKS.md between the marker lines begin and end, replacing what was there
    (appended at the end the first time); the rest of the file is kept."""
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path) as f:
        text = f.read()
    section = f"{begin}\n{report}\n{end}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def run_measured(cmd, timeout):
    """Runs cmd, its output discarded: (wall seconds, peak RSS of the process in kB). Raises on failure."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(p.pid, 0)  # the child's own rusage, unlike RUSAGE_CHILDREN
        except BaseException:
            p.kill()
            p.wait(timeout=30)
            raise
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[0]} exited with {p.returncode}: {err.read().decode(errors='replace').strip()}")
    return seconds, usage.ru_maxrss


class Cluster:
    """A throwaway PostgreSQL cluster in path/data whose socket lives in path."""

    def __init__(self, path, port, settings):
        """settings: postgresql.conf lines (`name = value`) added at initdb."""
        self.path, self.port, self.settings = path, port, settings
        self.data = os.path.join(path, "data")

    def start(self):
        """Creates the cluster if it does not exist yet and starts it."""
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            os.makedirs(self.data, exist_ok=True)
            shutil.chown(self.path, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
            os.chmod(self.data, 0o700)
            sh(as_pg([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"]),
               timeout=300)
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write(f"port = {self.port}\nunix_socket_directories = '{self.path}'\nlisten_addresses = ''\n")
                f.write("".join(line + "\n" for line in self.settings))
        sh(as_pg([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.path, "server.log"),
                  "-w", "-t", "120", "start"]), timeout=150)

    def stop(self):
        """Stops the server if it runs (fast shutdown, immediate if that does not finish)."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            for mode in ("fast", "immediate"):
                try:
                    subprocess.run(as_pg([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"]),
                                   capture_output=True, timeout=90)
                except subprocess.TimeoutExpired:
                    continue
                if not os.path.exists(os.path.join(self.data, "postmaster.pid")):
                    break

    def log_tail(self, lines=20):
        """The last lines of the server's log, for an error report."""
        try:
            with open(os.path.join(self.path, "server.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except FileNotFoundError:
            return ""

    def remove(self):
        """Stops the server and deletes the cluster's directory."""
        self.stop()
        shutil.rmtree(self.path, ignore_errors=True)

    def conn_args(self):
        """Host, port and user options for psql and pgbench (the database is `postgres`)."""
        return ["-h", self.path, "-p", str(self.port), "-U", "postgres"]

    def psql_args(self):
        """A psql command line for the cluster's postgres database that stops at the first error."""
        return [f"{PG_BIN}/psql", "-X", "-q"] + self.conn_args() + ["-d", "postgres", "-v", "ON_ERROR_STOP=1"]

    def query(self, sql, timeout=600):
        """Runs sql in a new session; its unaligned, tuples-only output."""
        return sh(self.psql_args() + ["-At", "-c", sql], timeout=timeout).strip()

    def measure(self, sql, timeout):
        """Runs sql in a fresh backend. A dict: seconds (psql's \\timing), hwm_kb (the backend's peak
        resident memory, VmHWM), temp_bytes (what it wrote to temporary files, from
        pg_stat_database) and output (the query's output lines)."""
        script = (
            "SELECT temp_bytes AS xlm_t0 FROM pg_stat_database WHERE datname = current_database() \\gset\n"
            "SELECT pg_backend_pid() AS xlm_pid \\gset\n"
            "\\setenv XLM_BPID :xlm_pid\n"
            "\\timing on\n"
            f"{sql};\n"
            "\\timing off\n"
            "\\! grep VmHWM /proc/$XLM_BPID/status\n"
            # Flushed as the backend goes idle after this statement, so the next one sees it.
            "SELECT pg_stat_force_next_flush() \\gset\n"
            "SELECT temp_bytes - :xlm_t0 AS xlm_temp FROM pg_stat_database WHERE datname = current_database() \\gset\n"
            "\\echo XLM_TEMP :xlm_temp\n"
        )
        out = sh(self.psql_args() + ["-At"], input=script, timeout=timeout)
        timing = re.search(r"^Time: ([0-9.]+) ms", out, re.M)
        return {"seconds": float(timing.group(1)) / 1000.0,
                "hwm_kb": int(re.search(r"^VmHWM:\s+(\d+) kB", out, re.M).group(1)),
                "temp_bytes": int(re.search(r"^XLM_TEMP (\d+)", out, re.M).group(1)),
                "output": out[:timing.start()].splitlines()}


def throwaway_cluster(clusters, name, ports, settings):
    """Creates and starts a cluster in a new /var/tmp/xlm-bench6-NAME-* directory on a free port of
    ports; it is appended to clusters first, so the caller's cleanup removes it even if starting fails."""
    c = Cluster(tempfile.mkdtemp(prefix=f"xlm-bench6-{name}-", dir="/var/tmp"), free_port(ports), settings)
    clusters.append(c)
    c.start()
    return c


def pgbench_init(c, scale):
    """`pgbench -i -s scale` on c's postgres database."""
    sh([f"{PG_BIN}/pgbench", "-i", "-s", str(scale), "-q"] + c.conn_args() + ["postgres"], timeout=600 + 30 * scale)


def pgbench_transactions(c, transactions, clients, seed):
    """Exactly `transactions` TPC-B-like transactions (a multiple of clients), split evenly over the
    clients (`-t`), so the row changes are the same on every cluster; checks that all were processed."""
    per_client = transactions // clients
    out = sh([f"{PG_BIN}/pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, 2)),
              "-t", str(per_client), f"--random-seed={seed}"] + c.conn_args() + ["postgres"],
             timeout=900 + transactions // 100)
    done = re.search(r"number of transactions actually processed: (\d+)/(\d+)", out)
    if not done or done.group(1) != done.group(2) or int(done.group(1)) != per_client * clients:
        raise RuntimeError(f"pgbench did not process all {transactions} transactions:\n{out}")
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def with_clusters(script, measure):
    """measure(clusters), where measure appends every cluster it makes to clusters: they are removed
    afterwards, also on errors and Ctrl-C, and on an error the last lines of their server logs are
    shown first."""
    clusters = []
    try:
        return measure(clusters)
    except KeyboardInterrupt:
        sys.exit(f"{script}: interrupted")
    except Exception:
        for c in clusters:
            log(f"server log of the cluster on port {c.port}, last lines:\n{c.log_tail()}")
        raise
    finally:
        for c in clusters:
            c.remove()
