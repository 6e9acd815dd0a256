"""Fixtures shared by the tests of more than one module: the engines the query contract runs on.

- `postgres`: a throwaway PostgreSQL cluster (Debian's `postgresql`) in a temporary folder on a
  free port of 127.0.0.1, as an Ibis connection; stopped at the end of the session.
- `spark`: a local Spark session (PyPI's `pyspark` on a Java runtime) as an Ibis connection;
  `spark_connect`: a Spark Connect server of its own JVM, its `sc://` URL.

A missing engine skips its tests, except under CI=true (which installs every one), where it
fails them.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import ibis
import pytest


def _missing(message: str):
    """An engine that is not installed: its tests fail under CI (which installs every engine)
    and are skipped elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# --- a throwaway PostgreSQL cluster ----------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster in a temporary folder on a free port of 127.0.0.1, then stopped."""
    bindir = _pg_bin()
    if bindir is None:
        _missing("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="timeline-pg-"))
    # initdb refuses to run as root: run the server as Debian's `postgres` user then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    data, log = folder / "data", folder / "log"
    port = _free_port()

    def run(*args):
        subprocess.run([*as_user, *map(str, args)], check=True, capture_output=True, timeout=120)

    started = False
    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C")  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F"
        run(bindir / "pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start")
        started = True
        con = ibis.postgres.connect(
            host="127.0.0.1", port=port, user="postgres", database="postgres"
        )
        yield con
        con.disconnect()
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode()}\n{server_log}")
    finally:
        if started:
            run(bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


# --- Spark: a local session, and a Spark Connect server -------------------------------------

#: Spark for a small machine that reaches no network: two threads and two shuffle partitions,
#: no web UI, the driver bound to 127.0.0.1. No `spark.jars.packages`: nothing is downloaded.
SPARK_SETTINGS = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}
#: The server a Spark Connect client (`sc://host:port`) talks to; its jar comes with pyspark.
SPARK_CONNECT_SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"


def _need_spark(module: str = "pyspark.sql") -> None:
    """Skip (fail under CI) without pyspark, the module asked for, or a Java runtime."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        _missing(f"{exc.name} is not installed (pip install -e '.[spark]')")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        _missing("Java is not installed (apt-get install default-jre-headless)")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="module")
def spark():
    """A local Spark session in this process (`SPARK_SETTINGS`), stopped after the module with
    the JVM that pyspark started for it."""
    _need_spark()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.builder.config(map=SPARK_SETTINGS).appName("timeline-tests")
    session = session.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield ibis.pyspark.connect(session)
    finally:
        session.stop()
        # Left running, the JVM would keep its memory for the rest of the run, and its
        # settings: a Spark Connect client started later in this process reads its
        # `spark.master` and refuses to have both. It exits when its stdin closes.
        gateway, SparkContext._gateway, SparkContext._jvm = SparkContext._gateway, None, None
        gateway.shutdown()
        gateway.proc.stdin.close()
        gateway.proc.wait(60)


@pytest.fixture(scope="module")
def spark_connect():
    """A Spark Connect server in its own JVM (pyspark's own jars, `SPARK_SETTINGS`) on a free
    port of 127.0.0.1, its tables in a temporary folder; yields the `sc://` URL of it, and
    stops it after the module."""
    _need_spark("pyspark.sql.connect.session")
    import pyspark

    home = Path(pyspark.__file__).parent
    folder = Path(tempfile.mkdtemp(prefix="timeline-spark-"))
    port = _free_port()
    settings = {
        **SPARK_SETTINGS,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
    }
    command = [home / "bin" / "spark-submit", "--class", SPARK_CONNECT_SERVER]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    log = folder / "log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*map(str, command), "spark-internal"],
            cwd=folder,  # where Spark leaves anything it writes beside its warehouse
            env={**os.environ, "SPARK_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Spark Connect did not start:\n{log.read_text()[-5000:]}")
            time.sleep(0.2)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False
