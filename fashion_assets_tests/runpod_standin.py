"""A loopback stand-in for RunPod's GraphQL API, answering the calls runpod 1.12 makes.

A "pod" is a local subprocess started with the pod's env, like a container: the training
entrypoint by default, or a command chosen by image name ("crash": exits at once, so RunPod's
restart policy restarts it; "hang": never finishes; "busy": a job that never finishes under the
entrypoint's watchdog). When the process exits it is started again
(RunPod restarts containers), and uptime starts from zero.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CAPACITY = "There are no longer any instances available with the requested specifications."
COMMANDS = {
    "crash": [sys.executable, "-c", "import sys, time; time.sleep(0.3); sys.exit(1)"],
    "hang": [sys.executable, "-c", "import time; time.sleep(600)"],
    "busy": [
        sys.executable,
        "-c",
        "import time; from fashion_assets.training.entrypoint import "
        "start_watchdog; start_watchdog(); time.sleep(600)",
    ],
}


@dataclass
class FakePod:
    id: str
    name: str
    image: str
    gpu_type: str
    cloud_type: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    exit_codes: list[int] = field(default_factory=list)  # of each container that ended
    log: list[str] = field(default_factory=list)


class RunPodStandIn:
    """The API on 127.0.0.1. Faults: `no_capacity` (GPU types that answer with the capacity
    error), `fail_after_create` (the next create makes the pod, then answers an error),
    `never_start` (pods are created but their container never runs)."""

    def __init__(self, no_capacity: tuple[str, ...] = (), fail_after_create: bool = False,
                 never_start: bool = False):  # fmt: skip
        self.no_capacity = set(no_capacity)
        self.fail_after_create = fail_after_create
        self.never_start = never_start  # pods stay without a runtime (no machine came up)
        self.pods: dict[str, FakePod] = {}
        self.created: list[FakePod] = []
        self.terminated: list[str] = []
        self.calls: list[str] = []
        self.peak = 0  # the most pods that existed at once
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._supervise, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        for pod in list(self.pods.values()):
            self._kill(pod)

    @property
    def running(self) -> list[str]:
        return list(self.pods)

    # the "containers"
    def _start(self, pod: FakePod) -> None:
        command = COMMANDS.get(
            pod.image, [sys.executable, "-m", "fashion_assets.training.entrypoint"]
        )
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "PYTHONPATH", "LANG")}
        env.update(pod.env)
        env.update({"RUNPOD_POD_ID": pod.id, "RUNPOD_API_KEY": "pod-scoped-key",
                    "RUNPOD_API_BASE_URL": self.url})  # fmt: skip
        pod.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)  # fmt: skip
        pod.started_at = time.monotonic()
        threading.Thread(target=lambda p=pod.process: pod.log.extend(p.stdout), daemon=True).start()

    def _kill(self, pod: FakePod) -> None:
        if pod.process and pod.process.poll() is None:
            pod.process.kill()
            pod.process.wait()

    def _supervise(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                for pod in self.pods.values():
                    if pod.process and pod.process.poll() is not None:
                        pod.exit_codes.append(pod.process.returncode)
                        pod.restarts += 1
                        self._start(pod)

    # the API
    def _answer(self, query: str) -> dict:
        op = re.search(r"(podFindAndDeployOnDemand|podTerminate|gpuTypes|pod\(|myself)", query)
        self.calls.append(op.group(1) if op else "?")
        if "gpuTypes" in query:
            gpu = re.search(r'id: "([^"]+)"', query).group(1)
            return {"data": {"gpuTypes": [{"id": gpu, "displayName": gpu, "memoryInGb": 80}]}}
        if "podFindAndDeployOnDemand" in query:
            return self._create(query)
        if "podTerminate" in query:
            pod_id = re.search(r'podId: "([^"]+)"', query).group(1)
            with self._lock:
                pod = self.pods.pop(pod_id, None)
            if pod:
                self._kill(pod)
                self.terminated.append(pod_id)
            return {"data": {"podTerminate": None}}
        if "myself" in query:
            return {"data": {"myself": {"pods": [self._status(p) for p in self.pods.values()]}}}
        pod_id = re.search(r'podId: "([^"]+)"', query).group(1)
        pod = self.pods.get(pod_id)
        return {"data": {"pod": self._status(pod) if pod else None}}

    def _create(self, query: str) -> dict:
        field_of = lambda name: re.search(rf'{name}: "?([^",]+)"?', query).group(1)  # noqa: E731
        gpu = field_of("gpuTypeId")
        if gpu in self.no_capacity:
            return {"errors": [{"message": CAPACITY}]}
        env = dict(re.findall(r'\{ key: "([^"]+)", value: "([^"]*)" \}', query))
        pod = FakePod(f"pod{next(self._ids)}", field_of("name"), field_of("imageName"), gpu,
                      field_of("cloudType"), env)  # fmt: skip
        with self._lock:
            self.pods[pod.id] = pod
            self.peak = max(self.peak, len(self.pods))
            self.created.append(pod)
            if not self.never_start:
                self._start(pod)
        if self.fail_after_create:
            self.fail_after_create = False
            return {"errors": [{"message": "Something went wrong. Please try again later."}]}
        return {"data": {"podFindAndDeployOnDemand": {"id": pod.id, "imageName": pod.image,
                                                      "env": [], "machineId": "m1",
                                                      "machine": {"podHostId": pod.id}}}}  # fmt: skip

    def _status(self, pod: FakePod) -> dict:
        if pod.process is None:
            return {"id": pod.id, "name": pod.name, "desiredStatus": "RUNNING", "costPerHr": 1.89,
                    "imageName": pod.image, "uptimeSeconds": 0, "runtime": None}  # fmt: skip
        return {"id": pod.id, "name": pod.name, "desiredStatus": "RUNNING", "costPerHr": 1.89,
                "imageName": pod.image, "uptimeSeconds": int((time.monotonic() - pod.started_at) * 10),
                "runtime": {"ports": []}, "machine": {"gpuDisplayName": pod.gpu_type}}  # fmt: skip

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    self.send_response(401)
                    self.end_headers()
                    return
                data = json.dumps(standin._answer(body["query"])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        return Handler
