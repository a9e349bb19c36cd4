"""Training on RunPod through Dagster Pipes over S3, against a loopback stand-in for RunPod's
API (pods are subprocesses) and a moto S3 server: every fault ends with no pod left running."""

import _thread
import threading
import time

import dagster as dg
import pandas as pd
import pytest

from fashion_assets.crawl.demo_catalog import demo_item_rows
from fashion_assets.defs.launchers import TrainingLauncherResource
from fashion_assets.defs.resources import ObjectStoreResource, build_resources
from fashion_assets.embed.tuned import promoted_clip
from fashion_assets.settings import Settings
from fashion_assets.storage.parquet import write_parquet
from fashion_assets.training.pods import (
    PodError,
    RunPodApi,
    Watch,
    check_env,
    is_capacity_error,
    watch,
)
from fashion_assets_tests.pipeline import (
    CLIP,
    TINY_CLIP,
    TINY_TOWER,
    TOWER,
    materialize,
    materialize_ingest,
)
from fashion_assets_tests.runpod_standin import CAPACITY

A100, H100 = "NVIDIA A100 80GB PCIe", "NVIDIA H100 80GB HBM3"


def launcher(image: str = "fashion-training:test", **overrides) -> TrainingLauncherResource:
    values = {"backend": "runpod", "runpod_image": image, "gpu_types": [A100, H100],
              "cloud_types": ["SECURE", "COMMUNITY"], "start_timeout_s": 30,
              "max_runtime_s": 120, "poll_s": 0.2, **overrides}  # fmt: skip
    return TrainingLauncherResource(**values)


class JobConfig(dg.Config):
    job: str = "item_tower"


@dg.asset
def remote_job(context: dg.AssetExecutionContext, config: JobConfig,
               trainer: TrainingLauncherResource, objects: ObjectStoreResource) -> dg.MaterializeResult:  # fmt: skip
    """Run a training job whose inputs are missing (the remote raises)."""
    extras = {"items_key": "nowhere/items.parquet", "output_prefix": f"runs/{context.run_id}"}
    return trainer.run(context, config.job, extras, objects.env()).materialize_result()


def run_remote(trainer: TrainingLauncherResource, job: str = "item_tower", instance=None):
    resources = build_resources(Settings())
    return dg.materialize(
        [remote_job],
        instance=instance,
        resources={"trainer": trainer, "objects": resources["objects"]},
        run_config={"ops": {"remote_job": {"config": {"job": job}}}},
        raise_on_error=False,
    )


def failure_message(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return str(failures[0].event_specific_data.error) if failures else ""


def test_item_tower_trains_on_a_pod_after_capacity_fallback(ingest_env, s3_storage, runpod):
    runpod.no_capacity = {A100}
    assert materialize_ingest().success
    result = materialize(TOWER, run_config=TINY_TOWER, trainer=launcher())
    assert result.success
    meta = result.asset_materializations_for_node("item_tower_checkpoint")[0].metadata
    assert meta["launcher"].value == "runpod" and meta["gpu_type"].value == H100
    assert meta["cloud_type"].value == "SECURE" and meta["estimated_cost_usd"].value > 0
    assert meta["train_items"].value > 100 and "recall@10" in meta["evaluation"].value
    assert runpod.running == [] and runpod.terminated == [meta["pod_id"].value]
    [pod] = runpod.created
    assert pod.env["FASHION_PIPES_TRANSPORT"] == "s3" and "DAGSTER_PIPES_CONTEXT" in pod.env
    assert pod.restarts == 0 and result.asset_materializations_for_node("tower_vectors")


def test_no_capacity_anywhere_is_tried_again_then_fails_clearly(s3_storage, runpod):
    runpod.no_capacity = {A100, H100}
    result = run_remote(launcher(capacity_retries=2, capacity_wait_s=0.1))
    assert not result.success and "no capacity for any GPU/cloud type" in failure_message(result)
    # three attempts of the step, each trying two GPU types in two clouds
    assert runpod.created == [] and runpod.calls.count("podFindAndDeployOnDemand") == 12
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2


def test_a_create_error_after_the_pod_exists_leaves_no_pod(s3_storage, runpod):
    runpod.fail_after_create = True
    result = run_remote(launcher())
    assert not result.success and "Something went wrong" in failure_message(result)
    assert len(runpod.created) == 1 and runpod.running == []
    assert runpod.terminated == [runpod.created[0].id]


def test_a_restarting_container_is_a_failure(s3_storage, runpod):
    result = run_remote(launcher(image="crash"))
    assert not result.success and "restarted" in failure_message(result)
    assert runpod.running == [] and runpod.created[0].restarts >= 1


def test_a_pod_that_hangs_past_the_time_limit_is_terminated(s3_storage, runpod):
    result = run_remote(launcher(image="hang", max_runtime_s=2))
    assert not result.success and "time limit of 2 s" in failure_message(result)
    assert runpod.running == [] and len(runpod.terminated) == 1


def test_a_pod_that_never_starts_times_out_and_is_terminated(s3_storage, runpod):
    runpod.never_start = True
    result = run_remote(launcher(start_timeout_s=1))
    assert not result.success and "did not start within 1 s" in failure_message(result)
    assert runpod.running == [] and len(runpod.terminated) == 1


class TowerJob(dg.Config):
    prefix: str


@dg.asset
def tower_job(context: dg.AssetExecutionContext, config: TowerJob, trainer: TrainingLauncherResource,
              objects: ObjectStoreResource) -> dg.MaterializeResult:  # fmt: skip
    """The item tower job writing to a fixed prefix (as a restarted container would)."""
    tiny = {"dim": 16, "heads": 2, "proj_dim": 8, "epochs": 1, "quick_items": 80}
    extras = {"items_key": "inputs/items.parquet", "output_prefix": config.prefix, "config": tiny}
    return trainer.run(context, "item_tower", extras, objects.env()).materialize_result()


def test_a_finished_job_is_reported_again_not_redone(tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_STORAGE_ROOT", str(tmp_path / "objects"))
    objects = build_resources(Settings())["objects"]
    write_parquet(objects.store(), "inputs/items.parquet", pd.DataFrame(demo_item_rows(200)))
    instance = dg.DagsterInstance.ephemeral()
    runs = []
    for _ in range(2):
        runs.append(dg.materialize([tower_job], instance=instance, resources={
            "trainer": TrainingLauncherResource(), "objects": objects},
            run_config={"ops": {"tower_job": {"config": {"prefix": "runs/fixed"}}}}))  # fmt: skip
    first, second = (r.asset_materializations_for_node("tower_job")[0].metadata for r in runs)
    assert first == second and first["train_items"].value == 80
    logs = [e.message for e in instance.all_logs(runs[1].run_id) if e.message]
    assert any("finished before" in m for m in logs)
    assert not any("epoch 1/1" in m for m in logs)


def test_a_remote_exception_fails_the_step_and_ends_the_pod(s3_storage, runpod):
    instance = dg.DagsterInstance.ephemeral()
    result = run_remote(launcher(), instance=instance)
    message = failure_message(result)
    assert not result.success and "without reporting a result" in message
    assert runpod.running == []
    remote_errors = [
        str(e.dagster_event.event_specific_data.error)
        for e in instance.all_logs(result.run_id)
        if e.dagster_event and "closed with exception" in (e.dagster_event.message or "")
    ]
    assert remote_errors and "nowhere/items.parquet" in remote_errors[0]


def test_cancelling_the_run_terminates_the_pod(s3_storage, runpod):
    def interrupt_when_the_pod_runs() -> None:
        deadline = time.monotonic() + 60
        while not runpod.running and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        _thread.interrupt_main()  # what a run cancellation delivers to the run's process

    threading.Thread(target=interrupt_when_the_pod_runs, daemon=True).start()
    try:
        result = run_remote(launcher(image="hang"))
        assert not result.success
    except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
        pass
    assert len(runpod.created) == 1 and runpod.running == []


def test_the_watchdog_ends_its_own_pod(runpod):
    """With the Dagster side gone, a pod past FASHION_MAX_RUNTIME_S terminates itself."""
    api = RunPodApi("test-key")
    pod = api.create("orphan", "busy", A100, "SECURE", {"FASHION_MAX_RUNTIME_S": "1"}, 10)
    deadline = time.monotonic() + 30
    while pod["id"] not in runpod.terminated and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runpod.terminated == [pod["id"]] and runpod.running == []
    assert any("watchdog" in line for line in runpod.created[0].log)


class RestartingPod:
    """A pod API whose container restarts (uptime drops) on the second poll and then again."""

    def __init__(self):
        self.uptimes = iter([50, 3, 40, 2, 30, 1])

    def get(self, pod_id):
        return {"id": pod_id, "runtime": {}, "uptimeSeconds": next(self.uptimes)}


def test_restarts_after_the_job_finished_wait_for_its_report():
    """RunPod restarts a container that exited. After the job wrote its done-marker that is
    no failure: the watch waits for the report (the reader drains S3 at its own pace); before
    it, the container crashed."""
    polls = iter(range(100))
    limits = Watch(start_timeout_s=5, max_runtime_s=60, poll_s=0.01)
    reported = lambda: next(polls) >= 5  # noqa: E731 (read on the fifth look)
    watch(RestartingPod(), "pod1", reported, limits, print, done=lambda: True)
    with pytest.raises(PodError, match="restarted"):
        watch(RestartingPod(), "pod1", lambda: False, limits, print, done=lambda: False)


def test_pod_env_and_capacity_errors_are_recognised():
    assert is_capacity_error(RuntimeError(CAPACITY))
    assert not is_capacity_error(RuntimeError("Something went wrong"))
    assert check_env({"DAGSTER_PIPES_CONTEXT": "eyJh+/=", "URL": "http://127.0.0.1:9/x"})
    with pytest.raises(ValueError, match="FIELD"):
        check_env({"FIELD": 'a"b'})


def test_clip_tunes_on_a_pod_and_the_promoted_weights_are_served(ingest_env, s3_storage, runpod):
    """ViT-B-class tuning goes to a GPU pod: the same clip_finetune job through the launcher,
    its weights and promotion record in S3, the vectors rebuilt with the tuned version."""
    assert materialize_ingest().success
    result = materialize(CLIP, run_config=TINY_CLIP, trainer=launcher())
    assert result.success
    meta = result.asset_materializations_for_node("clip_finetune")[0].metadata
    assert meta["launcher"].value == "runpod" and meta["promoted"].value is True
    assert runpod.running == [] and runpod.terminated == [meta["pod_id"].value]
    store = build_resources(Settings())["objects"].store()
    record = promoted_clip(store)
    assert store.exists(record["weights"]) and record["weights"].startswith("models/clip/runs/")
    vectors = result.asset_materializations_for_node("item_vectors")[0].metadata
    assert vectors["model_version"].value == f"fashion-tiny@sha256:{record['sha256'][:16]}"
