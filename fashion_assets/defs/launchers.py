"""Where training runs: the launcher resource behind the training assets.

Every backend runs the same entrypoint (`python -m fashion_assets.training.entrypoint`) under
Dagster Pipes, so logs, metrics and the checkpoint are reported the same way wherever it runs.
"""

import sys
from typing import Literal

import dagster as dg

ENTRYPOINT = ("-m", "fashion_assets.training.entrypoint")


class TrainingLauncherResource(dg.ConfigurableResource):
    """Runs a training job; `local` starts the entrypoint as a subprocess of the run."""

    backend: Literal["local"] = "local"
    device: str = "auto"

    def run(
        self,
        context: dg.AssetExecutionContext,
        job: str,
        extras: dict,
        env: dict[str, str],
    ) -> dg.PipesClientCompletedInvocation:
        """Launch `job` with `extras` and wait for it; raises when the job fails. `env` names
        the object store (ObjectStoreResource.env)."""
        extras = {"job": job, "device": self.device, **extras}
        return dg.PipesSubprocessClient().run(
            command=[sys.executable, *ENTRYPOINT],
            context=context,
            extras=extras,
            env=env,
        )
