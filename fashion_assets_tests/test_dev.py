"""`make dev` and `dg` as a user runs them: the definitions check, what runs by itself in a fresh
instance, and the gpu pool making two queued training runs take turns on one paid pod."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fashion_assets.training.entrypoint import load_job
from fashion_assets_tests.dagster_graphql import launch_run, query, wait_for_runs
from fashion_assets_tests.helpers import END_TO_END_TIMEOUT, free_port, wait_for_http
from fashion_assets_tests.pipeline import REPO, TINY_TOWER, materialize_ingest

DG = Path(sys.executable).parent / "dg"
AUTOMATION = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  sensors { name sensorType sensorState { status } } schedules { name scheduleState { status } }
} } } }"""


def test_dg_check_defs_passes():
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    checked = subprocess.run([DG, "check", "defs"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr


def test_definitions_load_without_the_training_libraries():
    """Every run worker, step process and code server loads the definitions: the libraries only
    a training, encoding or evaluation step needs are imported by that step (loading took 9.5 s
    and 1.2 GB here, now 2.2 s and 240 MB)."""
    heavy = ["torch", "open_clip", "transformers", "torchvision", "sklearn", "matplotlib",
             "pytorch_metric_learning", "unsloth", "peft"]  # fmt: skip
    probe = (
        f"import sys, fashion_assets.definitions; print([m for m in {heavy!r} if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr


def test_a_training_run_imports_only_its_own_job():
    """A pod or a local run worker runs one job: the item tower's imports neither open_clip nor
    transformers (seconds each, on every run)."""
    probe = ("import sys; from fashion_assets.training.entrypoint import load_job; "
             "load_job('item_tower'); print([m for m in ('open_clip', 'transformers', 'peft') "
             "if m in sys.modules])")  # fmt: skip
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr
    with pytest.raises(ValueError, match=r"unknown training job 'clip'.*clip_finetune"):
        load_job("clip")


#: The trainer `make dev` is started with (as variables) and its runs are given (as run config).
TRAINER = {"backend": "runpod", "runpod_image": "fashion-training:test", "start_timeout_s": 120,
           "max_runtime_s": 300}  # fmt: skip


@pytest.fixture
def make_dev(tmp_path, ingest_env, s3_storage, runpod):
    """`make dev` on a free port with a DAGSTER_HOME it has not seen (make copies the instance
    config in), training on the RunPod stand-in."""
    port = free_port()
    env = {**os.environ, "DEV_PORT": str(port), "FASHION_TRAINING_BACKEND": TRAINER["backend"],
           "FASHION_RUNPOD_IMAGE": TRAINER["runpod_image"],
           "FASHION_RUNPOD_START_TIMEOUT_S": str(TRAINER["start_timeout_s"]),
           "FASHION_RUNPOD_MAX_RUNTIME_S": str(TRAINER["max_runtime_s"])}  # fmt: skip
    log = tmp_path / "dev.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["make", "dev"], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/server_info", 180)
        yield f"http://127.0.0.1:{port}/graphql", log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # idle, it is gone in about a second
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@END_TO_END_TIMEOUT
def test_fresh_make_dev_automates_and_runs_one_gpu_step_at_a_time(make_dev, runpod):
    graphql, log = make_dev
    nodes, deadline = [], time.monotonic() + 120
    while not nodes and time.monotonic() < deadline:
        nodes = query(graphql, AUTOMATION)["repositoriesOrError"].get("nodes") or []
    sensors = {s["name"]: (s["sensorType"], s["sensorState"]["status"])
               for n in nodes for s in n["sensors"]}  # fmt: skip
    schedules = {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]}
    # what runs by itself, without anyone turning it on; the paid VLM fine-tune does not
    assert sensors["automation"] == ("AUTO_MATERIALIZE", "RUNNING")
    assert sensors["item_tower_retrain"][1] == "RUNNING"
    assert sensors["vlm_retrain"][1] == "STOPPED"
    assert schedules == {"nightly_reembed": "RUNNING", "daily_crawl": "STOPPED"}

    assert materialize_ingest().success  # the catalogue the two training runs read
    # the pod is looked at every second, not every 10 s: the trainer's config for these runs
    # (the launchpad's; given whole, as the README says, since Dagster takes no field from the
    # variables once a resource has run config)
    config = {**TINY_TOWER, "resources": {"trainer": {"config": {**TRAINER, "poll_s": 1}}}}
    runs = [launch_run(graphql, "item_tower_job", config) for _ in range(2)]  # together
    statuses = wait_for_runs(graphql, runs, 480)
    pod_logs = [(pod.exit_codes, "".join(pod.log[-40:])) for pod in runpod.created]
    assert set(statuses.values()) == {"SUCCESS"}, (statuses, log.read_text()[-3000:], pod_logs)
    # the gpu pool (limit 1 in the instance config make dev copied in): one pod at a time
    assert len(runpod.created) == 2 and runpod.peak == 1
    assert runpod.running == []
