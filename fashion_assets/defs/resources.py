"""Resources: PostgreSQL, the object store, the crawl source, CLIP, the retraining thresholds,
the VLM base model and the parquet IO manager.

Everything a run or a sensor reads is a resource field, shown (and overridable per run) in the
launchpad. `build_resources` fills them from the environment (see `.env.example`): a fresh
clone runs on the embedded PostgreSQL and a local folder; DATABASE_URL and FASHION_STORAGE=s3
switch to real servers.
"""

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import dagster as dg
import pandas as pd
import psycopg
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from fashion_assets.crawl.fetch import FetchPolicy
from fashion_assets.crawl.sources import SourceSpec, load_field_map
from fashion_assets.db.schema import migrate
from fashion_assets.db.server import connect, embedded_database_url
from fashion_assets.embed.spec import TINY, ClipSpec
from fashion_assets.embed.tuned import resolve_spec
from fashion_assets.instructions.augment import AugmentConfig, Augmenter
from fashion_assets.settings import Settings
from fashion_assets.storage import LocalObjectStore, ObjectStore, S3ObjectStore
from fashion_assets.storage.parquet import read_parquet, write_parquet

from .launchers import TrainingLauncherResource

if TYPE_CHECKING:  # torch: loaded by the steps that encode, not by the definitions
    from fashion_assets.embed.clip import ClipEncoder


def _settings() -> Settings:
    return Settings()


def _home(fashion_home: str) -> Path:
    """A resource's FASHION_HOME, or the environment's when it has none."""
    return Path(fashion_home) if fashion_home else _settings().home


class PostgresResource(dg.ConfigurableResource):
    """The catalogue database: DATABASE_URL, or the embedded server under FASHION_HOME."""

    database_url: str | None = None
    fashion_home: str = ""
    build_memory: str  # maintenance_work_mem while an HNSW index is built
    _url: str | None = PrivateAttr(default=None)

    def url(self) -> str:
        """The connection URL (starting the embedded server when no URL is configured)."""
        if self._url is None:
            self._url = self.database_url or embedded_database_url(_home(self.fashion_home))
        return self._url

    def connect(self) -> psycopg.Connection:
        """A new connection on a migrated schema (the caller closes it)."""
        conn = connect(self.url())
        migrate(conn)
        return conn


class ObjectStoreResource(dg.ConfigurableResource):
    """Where images and asset files live: a local folder, or S3 through dagster-aws."""

    backend: Literal["local", "s3"] = "local"
    local_root: str = ""
    bucket: str = ""
    prefix: str = ""
    s3: S3Resource = S3Resource()
    _store: ObjectStore | None = PrivateAttr(default=None)

    def store(self) -> ObjectStore:
        """The configured store (checked on first use: a missing bucket fails here)."""
        if self._store is None:
            if self.backend == "s3":
                self._store = S3ObjectStore(self.s3.get_client(), self.bucket, self.prefix)
            else:
                self._store = LocalObjectStore(self.local_root or _settings().storage_root)
        return self._store

    def env(self) -> dict[str, str]:
        """The FASHION_STORAGE* variables naming this store, for processes started outside
        Dagster (the training entrypoint). Credentials are not included: they travel as the
        usual AWS variables of the environment."""
        return {
            "FASHION_STORAGE": self.backend,
            "FASHION_STORAGE_ROOT": str(self.local_root or _settings().storage_root),
            "FASHION_S3_BUCKET": self.bucket,
            "FASHION_S3_PREFIX": self.prefix,
            "FASHION_S3_ENDPOINT_URL": self.s3.endpoint_url or "",
            "FASHION_S3_REGION": self.s3.region_name or "",
        }


class CrawlSourceResource(dg.ConfigurableResource):
    """Which source `raw_items` crawls: the demo shop, a web shop or a catalog folder."""

    source: str = "demo_shop"
    demo_items: int = 2000
    demo_seed: int = 7
    start_url: str = ""
    catalog_folder: str = ""
    field_map_path: str = ""
    product_url_pattern: str = ""
    max_pages: int = 0
    per_host_rps: float = 2.0
    per_host_concurrency: int = 2
    fashion_home: str = ""  # where the demo shop and crawl snapshots are kept

    def home(self) -> Path:
        """FASHION_HOME of the crawl."""
        return _home(self.fashion_home)

    def spec(self) -> SourceSpec:
        """The validated source specification."""
        return SourceSpec(
            source=self.source,
            demo_items=self.demo_items,
            demo_seed=self.demo_seed,
            start_url=self.start_url,
            catalog_folder=self.catalog_folder,
            field_map=load_field_map(self.field_map_path),
            product_url_pattern=self.product_url_pattern or None,
            max_pages=self.max_pages or None,
            policy=FetchPolicy(
                per_host_rps=self.per_host_rps, per_host_concurrency=self.per_host_concurrency
            ),
        ).validate()


class AugmenterResource(dg.ConfigurableResource):
    """Optional paraphrasing through an OpenAI-compatible endpoint (off when base_url is empty).

    The API key is read from FASHION_AUGMENT_API_KEY at run time and never stored in config.
    """

    base_url: str = ""
    model: str = ""
    min_interval_s: float = 0.0

    def augmenter(self, cache: ObjectStore) -> Augmenter | None:
        """An augmenter writing its cache to `cache`, or None when augmentation is off."""
        if not self.base_url:
            return None
        if not self.model:
            raise ValueError("FASHION_AUGMENT_URL is set: also set FASHION_AUGMENT_MODEL")
        config = AugmentConfig(
            base_url=self.base_url,
            model=self.model,
            api_key=os.environ.get("FASHION_AUGMENT_API_KEY"),
            min_interval_s=self.min_interval_s,
        )
        return Augmenter(config, cache)


class ClipResource(dg.ConfigurableResource):
    """The CLIP encoder: the offline tiny model by default, any open_clip model by config;
    its promoted fine-tuned weights once `clip_finetune` has promoted some (`use_tuned`)."""

    model: str = TINY
    pretrained: str = ""
    device: str = "auto"
    precision: str = "fp32"
    batch_size: int = 64
    fashion_home: str = ""
    use_tuned: bool = True
    objects: dg.ResourceDependency[ObjectStoreResource]
    _encoder: "ClipEncoder | None" = PrivateAttr(default=None)

    def home(self) -> Path:
        """Where local model files are kept."""
        return _home(self.fashion_home)

    def base_spec(self) -> ClipSpec:
        """The configured model, before any fine-tuning."""
        return ClipSpec(self.model, self.pretrained, self.device, self.precision, self.batch_size)

    def encoder(self) -> "ClipEncoder":
        """The loaded encoder (once per process)."""
        if self._encoder is None:
            from fashion_assets.embed.clip import ClipEncoder  # torch: loaded on first use

            spec = self.base_spec()
            if self.use_tuned:
                spec = resolve_spec(spec, self.objects.store(), self.home())
            self._encoder = ClipEncoder(spec, self.home())
        return self._encoder


class RetrainResource(dg.ConfigurableResource):
    """When the retraining sensors ask for a run (values: `build_resources`)."""

    tower_items: int  # new items since the last item tower checkpoint
    vlm_growth: float  # training-set growth since the last VLM adapter (0.2 = 20%)


class VlmResource(dg.ConfigurableResource):
    """The vision-language model the adapter is trained on: a hub id or a local folder (value:
    `build_resources`)."""

    base_model: str


class ParquetObjectStoreIOManager(dg.ConfigurableIOManager):
    """DataFrames as parquet in the object store: `assets/<asset>/<partition>.parquet`.

    Dict-valued columns are stored as JSON text and restored on load. Writes are atomic, so a
    re-run replaces a partition's file whole.
    """

    objects: dg.ResourceDependency[ObjectStoreResource]

    @cached_property
    def _store(self) -> ObjectStore:
        return self.objects.store()

    @staticmethod
    def prefix_for(asset_path: list[str]) -> str:
        """The key prefix under which an asset's partitions are stored."""
        return f"assets/{'/'.join(asset_path)}/"

    @classmethod
    def key_for(cls, asset_path: list[str], partition: str | None) -> str:
        """The object key of one asset partition (or of an unpartitioned asset)."""
        return f"{cls.prefix_for(asset_path)}{partition or 'all'}.parquet"

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        key = self.key_for(context.asset_key.path, partition)
        write_parquet(self._store, key, obj)
        context.add_output_metadata({"path": dg.MetadataValue.path(self._store.uri(key))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        path = context.upstream_output.asset_key.path if context.upstream_output else []
        partitions = context.asset_partition_keys if context.has_asset_partitions else [None]
        frames = [read_parquet(self._store, self.key_for(path, p)) for p in partitions]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def build_resources(settings: Settings | None = None) -> dict[str, Any]:
    """Resources from environment settings (what `dagster dev` and the CLI use)."""
    s = settings or _settings()
    objects = ObjectStoreResource(
        backend=s.fashion_storage,
        local_root=str(s.storage_root),
        bucket=s.fashion_s3_bucket,
        prefix=s.fashion_s3_prefix,
        s3=S3Resource(endpoint_url=s.fashion_s3_endpoint_url, region_name=s.fashion_s3_region),
    )
    return {
        "postgres": PostgresResource(
            database_url=s.database_url,
            fashion_home=str(s.home),
            build_memory=s.fashion_pg_build_memory,
        ),
        "objects": objects,
        "crawl_source": CrawlSourceResource(
            source=s.fashion_crawl_source,
            demo_items=s.fashion_demo_items,
            start_url=s.fashion_crawl_url,
            catalog_folder=s.fashion_catalog_folder,
            field_map_path=s.fashion_crawl_field_map,
            product_url_pattern=s.fashion_crawl_url_pattern,
            per_host_rps=s.fashion_crawl_rps,
            per_host_concurrency=s.fashion_crawl_concurrency,
            fashion_home=str(s.home),
        ),
        "augmenter": AugmenterResource(
            base_url=s.fashion_augment_url,
            model=s.fashion_augment_model,
            min_interval_s=s.fashion_augment_min_interval_s,
        ),
        "clip": ClipResource(
            model=s.fashion_clip_model,
            pretrained=s.fashion_clip_pretrained,
            device=s.fashion_clip_device,
            batch_size=s.fashion_clip_batch_size,
            fashion_home=str(s.home),
            objects=objects,
        ),
        "io_manager": ParquetObjectStoreIOManager(objects=objects),
        "trainer": TrainingLauncherResource(
            backend=s.fashion_training_backend,
            device=s.fashion_training_device,
            runpod_image=s.fashion_runpod_image,
            gpu_types=[g.strip() for g in s.fashion_runpod_gpu_types.split(",") if g.strip()],
            cloud_types=[c.strip() for c in s.fashion_runpod_cloud_types.split(",") if c.strip()],
            start_timeout_s=s.fashion_runpod_start_timeout_s,
            max_runtime_s=s.fashion_runpod_max_runtime_s,
        ),
        "retrain": RetrainResource(
            tower_items=s.fashion_tower_retrain_items, vlm_growth=s.fashion_vlm_retrain_growth
        ),
        "vlm": VlmResource(base_model=s.fashion_vlm_base_model),
    }


@dg.definitions
def resources() -> dg.Definitions:
    """Bind the environment's resources for every definition in the code location."""
    return dg.Definitions(resources=build_resources())
