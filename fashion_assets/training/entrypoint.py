"""`python -m fashion_assets.training.entrypoint`: run one training job under Dagster Pipes.

The launcher (a local subprocess, or a RunPod pod) passes the Pipes bootstrap variables; the
job's name and parameters arrive as Pipes extras. With FASHION_PIPES_TRANSPORT=s3 the context
is read from and messages are written to S3 (a pod has no local process to talk to); otherwise
Pipes' default files are used. The object store comes from the FASHION_STORAGE* variables.

Two guards for pods: a done-marker (`<output_prefix>/done.json`, written after the job) makes a
restarted container report the finished result again instead of training twice; and with
FASHION_MAX_RUNTIME_S set, a watchdog ends the pod (through RunPod's API with the pod's own
RUNPOD_POD_ID and RUNPOD_API_KEY) when the time is up, since an exiting container would only be
restarted and keep billing.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from dagster_pipes import (
    PipesContext,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)

from fashion_assets.settings import Settings
from fashion_assets.storage import ObjectStore, S3ObjectStore, store_from_settings

Job = Callable[[PipesContext, ObjectStore], dict[str, Any]]


def _jobs() -> dict[str, Job]:
    from .clip_job import run_clip_finetune
    from .item_tower_job import run_item_tower
    from .vlm_job import run_vlm_finetune

    return {"item_tower": run_item_tower, "vlm_finetune": run_vlm_finetune,
            "clip_finetune": run_clip_finetune}  # fmt: skip


def _pipes_io(store: ObjectStore) -> dict[str, Any]:
    if os.environ.get("FASHION_PIPES_TRANSPORT", "") != "s3":
        return {}
    if not isinstance(store, S3ObjectStore):
        raise RuntimeError("FASHION_PIPES_TRANSPORT=s3 needs FASHION_STORAGE=s3 (the same bucket)")
    client = store.client  # the object store's S3 client: same endpoint and credentials
    return {
        "context_loader": PipesS3ContextLoader(client),
        "message_writer": PipesS3MessageWriter(client, interval=2),
    }


def _end_pod_after(seconds: float) -> threading.Timer:
    def end() -> None:
        print(f"watchdog: {seconds:.0f} s passed, ending the pod", file=sys.stderr, flush=True)
        pod_id = os.environ.get("RUNPOD_POD_ID")
        try:
            if pod_id:
                from .pods import RunPodApi

                RunPodApi(os.environ.get("RUNPOD_API_KEY", "")).terminate(pod_id)
        finally:
            os._exit(3)

    timer = threading.Timer(seconds, end)
    timer.daemon = True
    timer.start()
    return timer


def done_key(output_prefix: str) -> str:
    """The done-marker of a job writing under `output_prefix`."""
    return f"{output_prefix}/done.json"


def run(pipes: PipesContext, store: ObjectStore) -> None:
    """Run the job the extras name once: report a finished run's stored result instead."""
    name = pipes.get_extra("job")
    jobs = _jobs()
    if name not in jobs:
        raise ValueError(f"unknown training job {name!r}; known: {sorted(jobs)}")
    done = done_key(pipes.get_extra("output_prefix"))
    if store.exists(done):
        pipes.log.info(f"{done} exists: this run finished before, reporting its result")
        metadata = json.loads(store.get(done))
    else:
        metadata = jobs[name](pipes, store)
        store.put(done, json.dumps(metadata).encode())
    pipes.report_asset_materialization(metadata=metadata)


def main() -> int:
    """Open Pipes, run the job, report through Pipes."""
    if os.environ.get("FASHION_MAX_RUNTIME_S"):
        _end_pod_after(float(os.environ["FASHION_MAX_RUNTIME_S"]))
    store = store_from_settings(Settings())
    with open_dagster_pipes(**_pipes_io(store)) as pipes:
        run(pipes, store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
