"""`python -m fashion_assets.training.entrypoint`: run one training job under Dagster Pipes.

The launcher (a local subprocess, or a RunPod pod) passes the Pipes bootstrap variables; the
job's name and parameters arrive as Pipes extras. With FASHION_PIPES_TRANSPORT=s3 the context
is read from and messages are written to S3 (a pod has no local process to talk to); otherwise
Pipes' default files are used. The object store comes from the FASHION_STORAGE* variables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from dagster_pipes import (
    PipesContext,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)

from fashion_assets.settings import Settings
from fashion_assets.storage import ObjectStore, store_from_settings

Job = Callable[[PipesContext, ObjectStore], None]


def _jobs() -> dict[str, Job]:
    from .item_tower_job import run_item_tower

    return {"item_tower": run_item_tower}


def _pipes_io() -> dict[str, Any]:
    if os.environ.get("FASHION_PIPES_TRANSPORT", "") != "s3":
        return {}
    import boto3

    client = boto3.client("s3", endpoint_url=os.environ.get("FASHION_S3_ENDPOINT_URL") or None)
    return {
        "context_loader": PipesS3ContextLoader(client),
        "message_writer": PipesS3MessageWriter(client, interval=2),
    }


def main() -> int:
    """Open Pipes, run the job the extras name, report through Pipes."""
    with open_dagster_pipes(**_pipes_io()) as pipes:
        name = pipes.get_extra("job")
        jobs = _jobs()
        if name not in jobs:
            raise ValueError(f"unknown training job {name!r}; known: {sorted(jobs)}")
        jobs[name](pipes, store_from_settings(Settings()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
