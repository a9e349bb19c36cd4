"""Environment-driven settings shared by the pipeline, the services and the CLI.

Every variable is documented in `.env.example`; nothing here holds a secret value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where data lives and which real parts to use."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    fashion_home: Path = Field(
        Path(".fashion_home"),
        description="Folder for the embedded defaults: PostgreSQL data, object store, caches.",
    )
    database_url: str | None = Field(
        None, description="postgresql:// URL of an existing server; unset = embedded PostgreSQL."
    )
    fashion_storage: Literal["local", "s3"] = Field("local", description="Object store backend.")
    fashion_storage_root: Path | None = Field(
        None, description="Local object store folder; default FASHION_HOME/objects."
    )
    fashion_s3_bucket: str = ""
    fashion_s3_prefix: str = ""
    fashion_s3_endpoint_url: str | None = None
    fashion_s3_region: str | None = None
    fashion_crawl_source: str = Field("demo_shop", description="demo_shop, web or catalog_folder.")
    fashion_demo_items: int = Field(2000, description="Size of the demo shop.")
    fashion_crawl_url: str = Field("", description="Start URL of a web source.")
    fashion_crawl_field_map: str = Field("", description="JSON file: site property -> field.")
    fashion_crawl_url_pattern: str = Field(
        "", description="Regex: which sitemap URLs are products."
    )
    fashion_catalog_folder: str = Field("", description="Folder with styles.csv and images/.")
    fashion_crawl_rps: float = Field(2.0, description="Web source: requests/s per host.")
    fashion_crawl_concurrency: int = Field(2, description="Web source: parallel requests/host.")
    fashion_augment_url: str = Field("", description="OpenAI-compatible base URL; empty = off.")
    fashion_augment_model: str = Field("", description="Model name for the augmenter.")
    fashion_augment_min_interval_s: float = Field(0.0, description="Seconds between calls.")
    fashion_clip_model: str = Field("fashion-tiny", description="open_clip model name.")
    fashion_clip_pretrained: str = Field("", description="Tag, weights file or model folder.")
    fashion_clip_device: str = Field("auto", description="auto, cpu, cuda, cuda:1, ...")
    fashion_clip_batch_size: int = Field(64, description="Images per encoder batch.")
    fashion_tower_retrain_items: int = Field(
        500, description="New items since the last checkpoint that trigger retraining."
    )
    fashion_training_device: str = Field("auto", description="Training device: auto, cpu, cuda.")
    fashion_training_backend: Literal["local", "runpod"] = Field(
        "local", description="local: a subprocess here; runpod: a GPU pod (needs S3 storage)."
    )
    fashion_vlm_base_model: str = Field(
        "unsloth/Llama-3.2-11B-Vision-Instruct", description="Base VLM: hub id or local folder."
    )
    fashion_vlm_retrain_growth: float = Field(
        0.2, description="Training-set growth (0.2 = 20%) that lets the sensor request a fine-tune."
    )
    fashion_api_key: str = Field("", description="Key for write/admin endpoints (X-API-Key).")
    fashion_cors_origins: str = Field("", description="Comma-separated origins allowed by CORS.")
    fashion_max_upload_bytes: int = Field(5_000_000, description="Largest accepted image upload.")
    fashion_serving_threads: int = Field(
        1, ge=1, description="torch threads per model pass in `python -m serving`."
    )
    fashion_serving_access_log: bool = Field(
        False, description="A log line per request in `python -m serving` (uvicorn's access log)."
    )
    fashion_vlm_url: str = Field(
        "", description="OpenAI-compatible base URL the RAG service asks; empty = rule writer."
    )
    fashion_vlm_model: str = Field("", description="Model name sent to FASHION_VLM_URL.")
    fashion_vlm_timeout_s: float = Field(20.0, description="Timeout of a RAG call to the VLM.")
    fashion_vlm_adapter: str = Field(
        "", description="VLM service: LoRA adapter folder, or 'latest' (vlm/latest.json)."
    )
    fashion_runpod_image: str = Field("", description="The training image RunPod pulls.")
    fashion_runpod_gpu_types: str = Field(
        "NVIDIA A100 80GB PCIe,NVIDIA A100-SXM4-80GB,NVIDIA H100 80GB HBM3",
        description="GPU types to try, in order (comma-separated RunPod GPU ids).",
    )
    fashion_runpod_cloud_types: str = Field("SECURE,COMMUNITY", description="Clouds to try.")
    fashion_runpod_max_runtime_s: int = Field(4 * 3600, description="A run's time limit.")
    fashion_runpod_start_timeout_s: int = Field(900, description="Wait for the container.")
    fashion_search_lexical_weight: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="Hybrid search: the BM25 side's share of the fused score (0 = vectors only).",
    )
    fashion_pg_build_memory: str = Field(
        "512MB", description="maintenance_work_mem for HNSW builds."
    )

    @property
    def home(self) -> Path:
        """FASHION_HOME as an absolute path (created on first use)."""
        home = self.fashion_home.expanduser().resolve()
        home.mkdir(parents=True, exist_ok=True)
        return home

    @property
    def storage_root(self) -> Path:
        """The local object store folder."""
        return (self.fashion_storage_root or self.home / "objects").expanduser().resolve()
