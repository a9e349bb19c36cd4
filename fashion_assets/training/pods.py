"""RunPod pods for training: create with fallback, watch, always terminate.

Plain Python over the runpod SDK (imported lazily: it costs ~3.5 s). Facts that shape it
(DESIGN.md): a container that exits is restarted and keeps billing, so the caller terminates
the pod; capacity errors say "There are no longer any instances available..."; a create call can
fail after the pod exists, so the pod is looked up by name and terminated; env values are pasted
into GraphQL unescaped, so only safe strings are allowed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.,:;/=+@%\- ]*$")
_CAPACITY = ("no longer any instances available", "no instances available", "not enough capacity")


class PodError(RuntimeError):
    """The pod could not do its job (create failed, restart, timeout, vanished)."""


class NoCapacity(PodError):
    """No GPU type in any cloud type had capacity."""


def is_capacity_error(exc: BaseException) -> bool:
    """Whether a create error means 'no machine of this kind right now'."""
    return any(marker in str(exc).lower() for marker in _CAPACITY)


def check_env(env: Mapping[str, str]) -> dict[str, str]:
    """The env as strings, refusing values GraphQL would misread (quotes, backslashes,
    newlines): encode such values, e.g. JSON as base64."""
    for key, value in env.items():
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", key) or not _SAFE_VALUE.match(str(value)):
            raise ValueError(f"pod env {key} holds characters RunPod's API would not escape")
    return {k: str(v) for k, v in env.items()}


class RunPodApi:
    """The few runpod SDK calls the launcher makes (RUNPOD_API_KEY from the environment;
    RUNPOD_API_BASE_URL points the SDK at another API, as the tests do)."""

    def __init__(self, api_key: str):
        if not api_key:
            raise PodError("RUNPOD_API_KEY is not set: create an API key in RunPod's settings")
        import runpod

        runpod.api_key = api_key
        self._runpod = runpod

    def create(self, name: str, image: str, gpu_type: str, cloud_type: str,
               env: Mapping[str, str], container_disk_gb: int) -> dict[str, Any]:  # fmt: skip
        """Create an on-demand pod with one GPU."""
        return self._runpod.create_pod(
            name, image, gpu_type, cloud_type=cloud_type, env=dict(env),
            container_disk_in_gb=container_disk_gb, support_public_ip=False,
        )  # fmt: skip

    def get(self, pod_id: str) -> dict[str, Any] | None:
        """The pod's status (None when it no longer exists)."""
        return self._runpod.get_pod(pod_id)

    def find(self, name: str) -> list[dict[str, Any]]:
        """Pods with this name."""
        return [p for p in self._runpod.get_pods() if p.get("name") == name]

    def terminate(self, pod_id: str) -> None:
        """Terminate (stop billing and delete) a pod."""
        self._runpod.terminate_pod(pod_id)


@dataclass(frozen=True)
class PodSpec:
    """What to start: a unique name, the training image, GPU and cloud types by preference."""

    name: str
    image: str
    gpu_types: Sequence[str]
    cloud_types: Sequence[str] = ("SECURE", "COMMUNITY")
    container_disk_gb: int = 50
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pod:
    """A created pod."""

    id: str
    gpu_type: str
    cloud_type: str
    cost_per_hr: float | None


def create_with_fallback(api: RunPodApi, spec: PodSpec, log: Callable[[str], None]) -> Pod:
    """Try each GPU type in each cloud type until one has capacity. A create call that fails
    after the pod exists leaves nothing behind: pods of that name are terminated."""
    env = check_env(spec.env)
    tried = []
    for gpu in spec.gpu_types:
        for cloud in spec.cloud_types:
            try:
                created = api.create(spec.name, spec.image, gpu, cloud, env, spec.container_disk_gb)
            except Exception as exc:
                for orphan in api.find(spec.name):
                    log(f"create failed but pod {orphan['id']} exists: terminating it")
                    api.terminate(orphan["id"])
                if not is_capacity_error(exc):
                    raise PodError(f"creating a {gpu} pod ({cloud}) failed: {exc}") from exc
                tried.append(f"{gpu}/{cloud}")
                log(f"no capacity for {gpu} in {cloud} cloud, trying the next choice")
                continue
            pod = api.get(created["id"]) or {}
            log(f"created pod {created['id']} on {gpu} ({cloud})")
            return Pod(created["id"], gpu, cloud, pod.get("costPerHr"))
    raise NoCapacity(f"no capacity for any GPU/cloud type tried: {', '.join(tried)}")


@dataclass
class Watch:
    """How long to wait: for the container to start, and for the whole run."""

    start_timeout_s: float = 900
    max_runtime_s: float = 4 * 3600
    poll_s: float = 10


def watch(api: RunPodApi, pod_id: str, finished: Callable[[], bool], limits: Watch,
          log: Callable[[str], None], clock: Callable[[], float] = time.monotonic,
          done: Callable[[], bool] = lambda: False) -> float:  # fmt: skip
    """Poll the pod until `finished()` (the remote's report has been read). `done()` says
    whether the job wrote its done-marker: RunPod restarts a container that exited, so a
    restart after the job finished only means its report is still on its way. Raises
    PodError on a restart before that (uptime going backwards), a start timeout, the run's
    time limit, or a vanished pod. Returns the seconds waited."""
    started = clock()
    last_uptime: float | None = None
    while True:
        if finished():
            return clock() - started
        pod = api.get(pod_id)
        elapsed = clock() - started
        if pod is None:
            raise PodError(f"pod {pod_id} no longer exists")
        running = pod.get("runtime") is not None
        uptime = pod.get("uptimeSeconds")
        if running and uptime is not None:
            if last_uptime is not None and uptime < last_uptime and not done():
                raise PodError(
                    f"pod {pod_id} restarted (uptime {last_uptime:.0f} s -> {uptime:.0f} s): "
                    "the container exited before reporting; see its logs in the RunPod console"
                )
            last_uptime = uptime
        elif elapsed > limits.start_timeout_s:
            raise PodError(f"pod {pod_id} did not start within {limits.start_timeout_s:.0f} s")
        if elapsed > limits.max_runtime_s:
            raise PodError(
                f"pod {pod_id} passed the run's time limit of {limits.max_runtime_s:.0f} s"
            )
        time.sleep(limits.poll_s)
