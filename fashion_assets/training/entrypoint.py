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

import importlib
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


#: Each job's module and function: a run imports only its own job's libraries (open_clip and
#: transformers take seconds to import, and a pod or a run worker pays them on every run).
JOBS = {"item_tower": ("item_tower_job", "run_item_tower"),
        "vlm_finetune": ("vlm_job", "run_vlm_finetune"),
        "clip_finetune": ("clip_job", "run_clip_finetune")}  # fmt: skip


def load_job(name: str) -> Job:
    """The job called `name`, its module imported now; ValueError for a name no job has."""
    if name not in JOBS:
        raise ValueError(f"unknown training job {name!r}; known: {sorted(JOBS)}")
    module, function = JOBS[name]
    return getattr(importlib.import_module(f".{module}", __package__), function)


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


def start_watchdog() -> None:
    """With FASHION_MAX_RUNTIME_S set, end this pod (then the process) when that time is up."""
    if not os.environ.get("FASHION_MAX_RUNTIME_S"):
        return
    seconds = float(os.environ["FASHION_MAX_RUNTIME_S"])

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


def done_key(output_prefix: str) -> str:
    """The done-marker of a job writing under `output_prefix`."""
    return f"{output_prefix}/done.json"


def run(pipes: PipesContext, store: ObjectStore) -> None:
    """Run the job the extras name once: report a finished run's stored result instead."""
    job = load_job(pipes.get_extra("job"))
    done = done_key(pipes.get_extra("output_prefix"))
    if store.exists(done):
        pipes.log.info(f"{done} exists: this run finished before, reporting its result")
        metadata = json.loads(store.get(done))
    else:
        metadata = job(pipes, store)
        store.put(done, json.dumps(metadata).encode())
    pipes.report_asset_materialization(metadata=metadata)


def main() -> int:
    """Open Pipes, run the job, report through Pipes."""
    start_watchdog()
    store = store_from_settings(Settings())
    with open_dagster_pipes(**_pipes_io(store)) as pipes:
        run(pipes, store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
