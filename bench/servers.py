"""Servers the load benchmark starts and stops itself: a throwaway PostgreSQL from Debian's
binaries, and gunicorn serving the app as a deployment would."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from audit_tool import PROJECT_ROOT

# Ports this benchmark may give its own PostgreSQL server (others are in use for tests).
POSTGRES_PORTS = range(54370, 54380)


# Time in the worker (microseconds), then the request type the load client names in a
# header of its own.
ACCESS_LOG_FORMAT = "%(D)s %({x-load-kind}i)s"


class Unavailable(RuntimeError):
    """The server could not be started on this machine; the reason says why."""


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster on loopback, removed afterwards. Yields its URL.

    Server settings are PostgreSQL's defaults (fsync and synchronous commit on), as a
    production server would run, not the test suite's fsync=off.
    """
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bindirs or not (bindirs[-1] / "initdb").exists():
        raise Unavailable("no PostgreSQL server binaries (apt-get install postgresql)")
    bindir = bindirs[-1]
    port = next((p for p in POSTGRES_PORTS if _port_free(p)), None)
    if port is None:
        raise Unavailable(f"ports {POSTGRES_PORTS.start}-{POSTGRES_PORTS.stop - 1} all in use")
    workdir = Path(tempfile.mkdtemp(prefix="audit-tool-load-pg."))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root.
        shutil.chown(workdir, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    log = workdir / "server.log"

    def pg(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*as_pg, *args], capture_output=True, text=True, **kwargs)

    try:
        initdb = pg(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust")
        if initdb.returncode != 0:
            raise Unavailable(f"initdb failed: {initdb.stderr.strip()}")
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1"
        start = pg(
            str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start"
        )
        if start.returncode != 0:
            reason = log.read_text() if log.exists() else start.stderr
            raise Unavailable(f"the server did not start: {reason.strip()}")
        try:
            created = pg(
                str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                "audit_tool_load",
            )  # fmt: skip
            if created.returncode != 0:
                raise Unavailable(f"createdb failed: {created.stderr.strip()}")
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/audit_tool_load"
        finally:
            pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    threads: int,
    log_path: Path,
    access_log_path: Path,
    upload_folder: Path,
) -> Iterator[int]:
    """gunicorn on loopback as the README deploys it, with production settings. Yields the
    port. Everything the server writes (its own log and the app's) goes to `log_path`;
    each request's time in the worker (queueing for a free worker excluded) and type to
    `access_log_path`."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.urandom(32).hex(),
        "AUDIT_TOOL_ENV": "production",
        "UPLOAD_FOLDER": str(upload_folder),
        # The load client stands in for the reverse proxy that terminates HTTPS (see
        # bench/load_client.py); gunicorn trusts its forwarded scheme only from loopback.
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
    }
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}",
        "--timeout", "30",
        # Otherwise every gunicorn run by this user shares one socket in ~/.gunicorn,
        # and a second server (a test run alongside) would take it over.
        "--no-control-socket",
        "--access-logfile", str(access_log_path),
        "--access-logformat", ACCESS_LOG_FORMAT,
        "wsgi:app",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_serving(process, port, log_path)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{log_path.read_text()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 30 s:\n{log_path.read_text()}")
