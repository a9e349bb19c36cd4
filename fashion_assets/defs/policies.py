"""Run guards shared by the assets: the GPU pool, and how fresh the tables search reads must
be."""

from datetime import timedelta

import dagster as dg

#: Steps that rent a GPU (or would on RunPod) share this pool; both dagster.yaml files limit
#: it to one step at a time (`concurrency.pools.default_limit`), so two runs never pay for two
#: pods at once.
GPU_POOL = "gpu"
#: Daily schedules (crawl 03:00, re-embedding 04:00): a day and a bit without a new
#: materialization warns, more fails.
DAILY = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30),
                                       warn_window=timedelta(hours=26))  # fmt: skip
