"""Jobs over one daily partition: ingest alone, instructions alone (backfills), or both."""

import dagster as dg

from .partitions import daily_partitions

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.groups("ingest"),
    partitions_def=daily_partitions,
    description="Crawl the configured source for one day and load the cleaned items.",
)
instruction_job = dg.define_asset_job(
    "instruction_job",
    selection=dg.AssetSelection.assets("instruction_data"),
    partitions_def=daily_partitions,
    description="Generate one day's instruction parquet from that day's filtered items "
    "(backfill it over a date range after a template change).",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets("instruction_data"),
    partitions_def=daily_partitions,
    description="The day's crawl, cleaning, database load and instruction data.",
)
reembed_job = dg.define_asset_job(
    "reembed_job",
    selection=dg.AssetSelection.assets("clip_embeddings", "item_vectors"),
    description="Encode new or changed items and refresh the live vector table.",
)
clip_job = dg.define_asset_job(
    "clip_job",
    selection=dg.AssetSelection.groups("embeddings"),
    description="Tune CLIP on the catalogue; when the gate promotes it, re-encode every item and "
    "swap the new vectors in.",
)
item_tower_job = dg.define_asset_job(
    "item_tower_job",
    selection=dg.AssetSelection.groups("item_tower"),
    description="Train the item tower, promote it if it passes the gate, and write its vectors.",
)
vlm_job = dg.define_asset_job(
    "vlm_job",
    selection=dg.AssetSelection.assets("vlm_adapter"),
    description="Fine-tune the vision-language model on the current training set (a paid GPU run "
    "when the launcher is RunPod).",
)
