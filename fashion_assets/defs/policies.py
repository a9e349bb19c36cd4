"""Run guards shared by the assets: the GPU pool, and how fresh the tables search reads must
be."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import dagster as dg

from fashion_assets.crawl.catalog_folder import CatalogFolderError
from fashion_assets.crawl.sources import SourceConfigError
from fashion_assets.db.server import DatabaseUnavailable
from fashion_assets.storage import StorageConfigError

#: Steps that rent a GPU (or would on RunPod) share this pool; both dagster.yaml files limit
#: it to one step at a time (`concurrency.pools.default_limit`), so two runs never pay for two
#: pods at once.
GPU_POOL = "gpu"
#: Steps that talk to other machines while they work (shops, their images, the object store)
#: try again twice, about 15 s and then 30 s later: a dropped connection or a 5xx is usually
#: gone by then. Misconfiguration is not retried (`fail_at_once_when_misconfigured`).
NETWORK_RETRY = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL,
                               jitter=dg.Jitter.PLUS_MINUS)  # fmt: skip
#: What another try cannot fix: settings that name nothing usable.
MISCONFIGURED = (SourceConfigError, CatalogFolderError, StorageConfigError, DatabaseUnavailable)


@contextmanager
def fail_at_once_when_misconfigured() -> Iterator[None]:
    """Raise a misconfiguration as a failure the retry policy skips (it names what to set)."""
    try:
        yield
    except MISCONFIGURED as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


#: Daily schedules (crawl 03:00, re-embedding 04:00): a day and a bit without a new
#: materialization warns, more fails.
DAILY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30),
                                       warn_window=timedelta(hours=26))  # fmt: skip


def after_upstream(ignore: tuple[str, ...] = ()) -> dg.AutomationCondition:
    """Requested once an upstream asset (other than `ignore`) has new data since this asset was
    last requested or materialized, when nothing it reads and nothing of its own is in progress.

    Not `AutomationCondition.eager()`: eager waits while any upstream partition is missing, and
    an asset that reads every daily partition always has missing ones, so it would never fire.
    """
    condition = (
        dg.AutomationCondition.any_deps_updated().since_last_handled()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    )
    if ignore:
        condition = condition.ignore(dg.AssetSelection.assets(*ignore))
    return condition.with_label("after new upstream data")


@dg.definitions
def executor() -> dg.Definitions:
    """Every job runs its steps one after another inside the run worker (Dagster's in-process
    executor): the jobs are short chains whose heavy work already runs in a training process or
    a pod, and a process per step loads the definitions again (about 3 s each here)."""
    return dg.Definitions(executor=dg.in_process_executor)
