"""Jobs: the daily ingest (crawl to PostgreSQL) over one partition."""

import dagster as dg

from .partitions import daily_partitions

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("ingest"),
    partitions_def=daily_partitions,
    description="Crawl the configured source for one day and load the cleaned items.",
)
