"""Shared helpers for xlogminer's benchmark scripts (bench.py, load.py).

A throwaway cluster runs as the `postgres` OS user (the server refuses to run
as root) in a directory the script owns; clients (psql, pgbench) run as the
calling user and connect through the cluster's own Unix socket directory.
"""
import os
import re
import shutil
import subprocess
import time

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(cmd, **kw):
    """Runs cmd, raising on a non-zero exit; returns its stdout."""
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def as_pg(cmd):
    """cmd run as the `postgres` OS user."""
    return ["sudo", "-u", "postgres", "-H", "--"] + cmd


class Cluster:
    """A PostgreSQL cluster in path/data whose socket lives in path."""

    def __init__(self, path, port, settings):
        """settings: postgresql.conf lines (`name = value`) added at initdb."""
        self.path, self.port, self.settings = path, port, settings
        self.data = os.path.join(path, "data")

    def start(self, fresh):
        """Creates the cluster if it does not exist (anew when fresh) and starts it."""
        if fresh and os.path.exists(self.path):
            self.stop()
            shutil.rmtree(self.path)
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

    def conn_args(self):
        """Host, port and user options for psql and pgbench (the database is `postgres`)."""
        return ["-h", self.path, "-p", str(self.port), "-U", "postgres"]

    def psql_args(self):
        return [f"{PG_BIN}/psql", "-X", "-q"] + self.conn_args() + ["-d", "postgres", "-v", "ON_ERROR_STOP=1"]

    def query(self, sql, timeout=None):
        """Runs sql in a new session; its unaligned, tuples-only output."""
        return sh(self.psql_args() + ["-At", "-c", sql], timeout=timeout).strip()

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
