"""Where training runs: the launcher resource behind the training assets.

Every backend runs the same entrypoint (`python -m fashion_assets.training.entrypoint`) under
Dagster Pipes, so logs, metrics and the checkpoint are reported the same way wherever it runs:
`local` starts it as a subprocess of the run; `runpod` starts a pod of the training image with
Pipes over S3 (PipesS3ContextInjector + PipesS3MessageReader here, their counterparts in the pod).
"""

import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Literal

import boto3
import dagster as dg
from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader
from pydantic import Field

from fashion_assets.storage import S3ObjectStore
from fashion_assets.training.entrypoint import done_key
from fashion_assets.training.pods import (
    NoCapacity,
    PodSpec,
    RunPodApi,
    Watch,
    create_with_fallback,
    watch,
)

ENTRYPOINT = ("-m", "fashion_assets.training.entrypoint")
#: Credentials the pod needs to reach the object store; passed in its env, never logged.
_POD_SECRETS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
)


@dataclass
class Launched:
    """A finished remote job: its Pipes results and what the launcher adds to the metadata."""

    invocation: dg.PipesClientCompletedInvocation
    metadata: dict[str, Any]

    def materialize_result(self) -> dg.MaterializeResult:
        """The remote's materialization with the launcher's metadata added."""
        result = self.invocation.get_materialize_result()
        return dg.MaterializeResult(metadata={**(result.metadata or {}), **self.metadata})


class TrainingLauncherResource(dg.ConfigurableResource):
    """Runs a training job locally (subprocess) or on a RunPod GPU pod."""

    backend: Literal["local", "runpod"] = "local"
    device: str = "auto"
    runpod_image: str = ""
    gpu_types: list[str] = Field(default_factory=lambda: ["NVIDIA A100 80GB PCIe"])
    cloud_types: list[str] = Field(default_factory=lambda: ["SECURE", "COMMUNITY"])
    container_disk_gb: int = 50
    start_timeout_s: float = 900
    max_runtime_s: float = 4 * 3600
    poll_s: float = 10
    # no GPU type had capacity: the step tries again this many times, this long apart
    capacity_retries: int = 2
    capacity_wait_s: float = 300

    def run(
        self, context: dg.AssetExecutionContext, job: str, extras: dict, env: dict[str, str]
    ) -> Launched:
        """Launch `job` with `extras` and wait for it; raises when the job fails. `env` names
        the object store (ObjectStoreResource.env)."""
        extras = {"job": job, "device": self.device, **extras}
        if self.backend == "runpod":
            return self._run_on_runpod(context, extras, env)
        invocation = dg.PipesSubprocessClient().run(
            command=[sys.executable, *ENTRYPOINT], context=context, extras=extras, env=env
        )
        return Launched(invocation, {"launcher": "local"})

    def _run_on_runpod(
        self, context: dg.AssetExecutionContext, extras: dict, env: dict[str, str]
    ) -> Launched:
        if env.get("FASHION_STORAGE") != "s3":
            raise dg.Failure(
                "RunPod training talks to Dagster through S3: set FASHION_STORAGE=s3 and the "
                "FASHION_S3_* variables (a pod cannot read this machine's folders)"
            )
        if not self.runpod_image:
            raise dg.Failure("FASHION_RUNPOD_IMAGE is not set: build and push training_image/")
        api = RunPodApi(os.environ.get("RUNPOD_API_KEY", ""))
        s3 = boto3.client("s3", endpoint_url=env.get("FASHION_S3_ENDPOINT_URL") or None)
        bucket = env["FASHION_S3_BUCKET"]
        prefix = "/".join(
            p for p in (env.get("FASHION_S3_PREFIX", ""), "pipes", context.run_id) if p
        )
        injector = PipesS3ContextInjector(bucket=bucket, client=s3, key_prefix=prefix)
        # the reader takes one message chunk per interval: short, so a backlog drains quickly
        reader = PipesS3MessageReader(bucket=bucket, client=s3, interval=min(self.poll_s, 2))
        store = S3ObjectStore(s3, bucket, env.get("FASHION_S3_PREFIX", ""))
        marker = done_key(extras["output_prefix"])
        name = f"fashion-{extras['job']}-{context.run_id[:8]}"
        log = context.log.info
        with dg.open_pipes_session(context, injector, reader, extras=extras) as session:
            pod_env = {
                **session.get_bootstrap_env_vars(),
                **env,
                "FASHION_PIPES_TRANSPORT": "s3",
                "FASHION_MAX_RUNTIME_S": str(int(self.max_runtime_s)),
                **{k: os.environ[k] for k in _POD_SECRETS if os.environ.get(k)},
            }
            spec = PodSpec(name, self.runpod_image, self.gpu_types, self.cloud_types,
                           self.container_disk_gb, pod_env)  # fmt: skip
            pod, started = None, time.monotonic()
            try:
                pod = create_with_fallback(api, spec, log)
                limits = Watch(self.start_timeout_s, self.max_runtime_s, self.poll_s)
                finished = lambda: session.message_handler.received_closed_message  # noqa: E731
                watch(api, pod.id, finished, limits, log, done=lambda: store.exists(marker))
            except NoCapacity as exc:  # capacity comes back: the step tries again later
                log(f"{exc}; trying again in {self.capacity_wait_s:.0f} s")
                raise dg.RetryRequested(self.capacity_retries, self.capacity_wait_s) from exc
            except Exception as exc:
                raise dg.Failure(f"RunPod training failed: {exc}") from exc
            finally:  # also on run cancellation (an interrupt raised while waiting)
                if pod is not None:
                    api.terminate(pod.id)
                    log(f"terminated pod {pod.id}")
            seconds = time.monotonic() - started
        if not session.message_handler.get_reported_results():
            raise dg.Failure(
                f"pod {pod.id} ended without reporting a result: the remote job failed (its "
                "error is in the log above)"
            )
        return Launched(
            dg.PipesClientCompletedInvocation(session),
            {
                "launcher": "runpod",
                "pod_id": pod.id,
                "gpu_type": pod.gpu_type,
                "cloud_type": pod.cloud_type,
                "pod_seconds": round(seconds, 1),
                "estimated_cost_usd": (
                    round(pod.cost_per_hr * seconds / 3600, 4) if pod.cost_per_hr else "unknown"
                ),
            },
        )
