"""The production stack: docker-compose.yml is a valid Compose file with health checks and no
secrets, and its Dagster services run without Docker: the code location as a gRPC server, the
webserver and the daemon on dagster-postgres storage launch a materialization that succeeds,
and the automation sensor re-encodes the new catalogue by itself."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from importlib.metadata import distributions
from pathlib import Path

import psycopg
import pytest
import yaml
from compose_spec import PyCompose
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from fashion_assets_tests.dagster_graphql import launch_run, wait_for_runs
from fashion_assets_tests.helpers import (
    END_TO_END_TIMEOUT,
    free_port,
    fresh_database,
    locked_pins,
    wait_for_http,
)
from fashion_assets_tests.pipeline import PARTITION, REPO

COMPOSE = REPO / "docker-compose.yml"
BIN = Path(sys.executable).parent


def test_compose_file_is_valid_and_complete():
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        env = {
            **os.environ,
            "POSTGRES_PASSWORD": "x",
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
        }
        subprocess.run(
            ["docker", "compose", "-f", str(COMPOSE), "config", "-q"], check=True, env=env
        )
    data = yaml.safe_load(COMPOSE.read_text())  # anchors and merge keys resolved, as compose does
    compose = PyCompose.from_json(json.dumps(data))  # the Compose Specification, strictly
    compose.validate()
    services = data["services"]
    assert set(services) >= {
        "postgres",
        "minio",
        "minio-bucket",
        "code",
        "webserver",
        "daemon",
        "serving",
    }
    assert services["postgres"]["image"].startswith("pgvector/pgvector:pg18")
    for name in ("postgres", "minio", "code", "webserver", "serving"):
        assert services[name]["healthcheck"]["test"], name
    commands = {
        name: services[name]["command"][0] for name in ("code", "webserver", "daemon", "serving")
    }
    assert commands == {"code": "dagster", "webserver": "dagster-webserver", "daemon": "dagster-daemon",
                        "serving": "python"}  # fmt: skip
    env = services["webserver"]["environment"]
    assert env["DAGSTER_PG_URL"].rsplit("/", 1)[1] != env["DATABASE_URL"].rsplit("/", 1)[1]
    # no secret in the file: credentials are ${...} references to the environment / .env
    for service in services.values():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|KEY", key):
                assert str(value).startswith("${") or "${" in str(value), key
    example = (REPO / ".env.example").read_text()
    for variable in ("POSTGRES_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert variable in example


@pytest.fixture
def stack(tmp_path, pg_server_url):
    """Code server, webserver and daemon as their containers run them, on this machine."""
    with fresh_database(pg_server_url) as catalogue, fresh_database(pg_server_url) as dagster_db:
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "deploy/dagster_home/dagster.yaml", home / "dagster.yaml")
        code_port, web_port = free_port(), free_port()
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(
            (REPO / "deploy/workspace.grpc.yaml")
            .read_text()
            .replace("port: 4000", f"port: {code_port}")
        )
        env = {**os.environ, "DAGSTER_HOME": str(home), "DAGSTER_PG_URL": dagster_db, "DATABASE_URL": catalogue,
               "FASHION_HOME": str(tmp_path / "fashion"), "FASHION_DEMO_ITEMS": "240",
               "CODE_SERVER_HOST": "127.0.0.1"}  # fmt: skip
        commands = [
            [BIN / "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
             "-m", "fashion_assets.definitions", "--location-name", "fashion_assets"],
            [BIN / "dagster-webserver", "-h", "127.0.0.1", "-p", str(web_port), "-w", str(workspace)],
            [BIN / "dagster-daemon", "run", "-w", str(workspace)],
        ]  # fmt: skip
        logs = tmp_path / "logs"
        logs.mkdir()
        procs = []
        try:
            for i, command in enumerate(commands):
                out = open(logs / f"{i}.log", "w")  # noqa: SIM115 (closed with the process)
                procs.append(
                    subprocess.Popen([str(c) for c in command], env=env, stdout=out, stderr=out)
                )
                if i == 0:
                    time.sleep(3)  # the code server loads the definitions first
            wait_for_http(f"http://127.0.0.1:{web_port}/server_info", 120)
            yield f"http://127.0.0.1:{web_port}/graphql", catalogue, dagster_db, logs
        finally:
            for proc in procs:
                proc.terminate()
            deadline = time.monotonic() + 10  # one grace period for all three, then kill
            for proc in procs:
                try:
                    proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@END_TO_END_TIMEOUT
def test_webserver_and_daemon_run_a_materialization_through_the_code_server(stack):
    graphql, catalogue, dagster_db, logs = stack
    run_id = launch_run(graphql, "ingest_job", tags={"dagster/partition": PARTITION})
    status = wait_for_runs(graphql, [run_id], 240)[run_id]
    daemon_log = (logs / "2.log").read_text()
    assert status == "SUCCESS", daemon_log[-3000:]
    with psycopg.connect(catalogue) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] > 200
    with psycopg.connect(dagster_db) as conn:  # the run lives in dagster-postgres storage
        assert (
            conn.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,)).fetchone()[0]
            == "SUCCESS"
        )
    assert "QueuedRunCoordinatorDaemon" in daemon_log or "queued" in daemon_log.lower()
    # the catalogue changed: the automation sensor (on by default) re-encodes it by itself
    deadline, automated = time.monotonic() + 300, []
    while time.monotonic() < deadline and automated != [("SUCCESS",)]:
        time.sleep(2)
        with psycopg.connect(dagster_db) as conn:
            automated = conn.execute(
                "SELECT r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
                "WHERE t.key = 'dagster/sensor_name' AND t.value = 'automation'"
            ).fetchall()
    assert automated == [("SUCCESS",)], (logs / "2.log").read_text()[-3000:]
    with psycopg.connect(catalogue) as conn:
        assert conn.execute("SELECT count(*) FROM item_vectors").fetchone()[0] > 200


def _uv_lock_versions() -> dict[str, set[str]]:
    locked: dict[str, set[str]] = {}
    for package in tomllib.loads((REPO / "uv.lock").read_text())["package"]:
        locked.setdefault(canonicalize_name(package["name"]), set()).add(package["version"])
    return locked


def test_installs_come_from_uv_lock():
    """uv.lock still matches pyproject.toml (`uv lock --check`, offline), and every package in this
    environment is at a version uv.lock gives it: `make install` syncs from the lock, nothing else."""
    uv = REPO / ".tools/bin/uv"
    assert uv.is_file(), "make install puts the pinned uv in .tools/bin"
    check = subprocess.run(
        [uv, "lock", "--check", "--offline"], cwd=REPO, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    locked = _uv_lock_versions()
    seeds = {"pip", "setuptools", "wheel"}  # what `python -m venv` seeds; uv leaves them alone
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    assert len(installed) > 200
    unlocked = {n: v for n, v in installed.items() if n not in seeds and v not in locked.get(n, ())}
    assert not unlocked, f"installed outside uv.lock: {unlocked}"


def test_deploy_image_installs_uv_lock_export_before_the_code():
    """deploy/requirements.lock is uv.lock's export: the same versions, each with hashes, without
    torch's CUDA build (the image installs the CPU build of the locked torch first), installed in
    a layer before the code."""
    exported = locked_pins(REPO / "deploy/requirements.lock")
    locked = _uv_lock_versions()
    cpu_torch = {"torch", "torchvision"}
    assert not [n for n, version in exported.items() if version not in locked[n]]
    for line in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]:
        name = canonicalize_name(Requirement(line).name)
        assert name in exported or name in cpu_torch, name
    assert not [
        n for n in exported if n in cpu_torch or n.startswith(("nvidia-", "cuda-", "triton"))
    ]
    dockerfile = (REPO / "deploy/Dockerfile").read_text()
    torch_pins = dict(re.findall(r"\b(torch|torchvision)==([\d.]+)", dockerfile))
    assert {n: {v} for n, v in torch_pins.items()} == {n: locked[n] for n in cpu_torch}
    lock_step = dockerfile.index("--require-hashes -r /tmp/requirements.lock")
    assert lock_step < dockerfile.index("COPY fashion_assets") < dockerfile.index("--no-deps .")
