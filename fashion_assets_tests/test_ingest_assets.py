"""The ingest assets in Dagster: on the embedded defaults, idempotent, on S3, on dagster-postgres."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import dagster as dg
import psycopg
import pytest

from fashion_assets.crawl.demo_catalog import demo_catalog
from fashion_assets.crawl.demo_site import serve_folder
from fashion_assets.crawl.sources import run_source
from fashion_assets.defs.ingest import crawl
from fashion_assets.defs.partitions import daily_partitions
from fashion_assets.defs.policies import NETWORK_RETRY
from fashion_assets.defs.resources import CrawlSourceResource
from fashion_assets.storage import LocalObjectStore
from fashion_assets_tests.helpers import END_TO_END_TIMEOUT
from fashion_assets_tests.pipeline import PARTITION, REPO, materialize_ingest
from fashion_assets_tests.platform_shop import build_platform_shop, write_sitemaps


def expected(items: int, partition: str = PARTITION) -> tuple[set[str], Counter]:
    """The demo shop's garments listed by `partition`, and the rejects it must produce."""
    products = demo_catalog(items, as_of=date.fromisoformat(partition))
    ids = {f"demo_shop:{p.sku}" for p in products if p.category}
    rejects = Counter(
        unknown_category=sum(1 for p in products if not p.category),
        duplicate=sum(1 for p in products if p.alternate_url),
    )
    return ids, rejects


def table_state(url: str) -> tuple[dict[str, str], Counter]:
    with psycopg.connect(url) as conn:
        items = dict(conn.execute("SELECT item_id, content_hash FROM items").fetchall())
        rejects = Counter(
            dict(conn.execute("SELECT reason, count(*) FROM rejected_items GROUP BY 1").fetchall())
        )
    return items, rejects


def test_definitions_show_assets_groups_checks_jobs_and_schedule():
    from fashion_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_items", "item_images", "filtered_items", "rejected_items", "items_table"} <= keys
    for key in ("raw_items", "filtered_items", "items_table"):
        node = graph.get(dg.AssetKey(key))
        assert node.group_name == "ingest" and node.partitions_def is not None
    checks = {c.name for c in graph.asset_check_keys}
    assert checks >= {
        "attributes_in_vocabulary",
        "unique_item_ids",
        "known_reject_reasons",
        "partition_rows_in_table",
        "schema_valid",
        "no_item_in_both_splits",
    }
    assert graph.get(dg.AssetKey("instruction_data")).group_name == "instructions"
    assert graph.get(dg.AssetKey("vlm_training_set")).partitions_def is None
    for key in ("clip_embeddings", "item_vectors"):
        assert graph.get(dg.AssetKey(key)).group_name == "embeddings"
    nightly = defs.resolve_schedule_def("nightly_reembed")
    assert (nightly.job_name, nightly.cron_schedule) == ("reembed_job", "0 4 * * *")
    assert defs.resolve_schedule_def("daily_crawl").cron_schedule == "0 3 * * *"
    assert defs.resolve_schedule_def("daily_crawl").job_name == "daily_job"
    for job in ("ingest_job", "instruction_job", "daily_job"):
        assert defs.resolve_job_def(job).partitions_def is not None
    # every asset says what it is made of (the UI's kind tags)
    assert all(graph.get(key).kinds for key in graph.get_all_asset_keys())
    assert graph.get(dg.AssetKey("items_table")).kinds == {"postgres"}
    # launched runs execute their steps in the run worker, not a process per step
    assert {defs.resolve_job_def(job).executor_def.name for job in ("ingest_job", "daily_job",
            "item_tower_job", "clip_job", "reembed_job")} == {"in_process"}  # fmt: skip


def test_materialize_a_partition_then_rerun_changes_nothing(ingest_env):
    result = materialize_ingest()
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    ids, rejects = expected(240)
    items, found_rejects = table_state(ingest_env["DATABASE_URL"])
    assert set(items) == ids
    assert found_rejects == rejects
    meta = result.asset_materializations_for_node("items_table")[0].metadata
    assert meta["inserted"].value == len(ids)
    # the standard keys the UI shows: rows, columns with their SQL types, the table's name
    assert meta["dagster/row_count"].value == len(ids)
    assert meta["dagster/table_name"].value == "items"
    columns = {c.name: c.type for c in meta["dagster/column_schema"].value.columns}
    assert columns["item_id"] == "text" and "content_hash" in columns
    filtered = next(m.metadata for m in result.asset_materializations_for_node("clean_items")
                    if m.asset_key.path == ["filtered_items"])  # fmt: skip
    assert filtered["dagster/row_count"].value == len(ids)
    assert "category" in {c.name for c in filtered["dagster/column_schema"].value.columns}

    again = materialize_ingest()
    meta = again.asset_materializations_for_node("items_table")[0].metadata
    assert (meta["inserted"].value, meta["updated"].value) == (0, 0)
    assert table_state(ingest_env["DATABASE_URL"]) == (items, found_rejects)


def test_a_later_partition_adds_the_new_items(ingest_env):
    assert materialize_ingest("2026-11-01").success
    first, _ = table_state(ingest_env["DATABASE_URL"])
    assert materialize_ingest("2026-11-15").success
    later, _ = table_state(ingest_env["DATABASE_URL"])
    assert set(first) < set(later) == expected(240, "2026-11-15")[0]


def _cli(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "fashion_assets.cli", "demo", "--partition", PARTITION],
        env={**os.environ, **env},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@END_TO_END_TIMEOUT  # three demo runs, one of them whole
def test_a_run_killed_midway_and_rerun_ends_with_the_same_rows(ingest_env, tmp_path):
    """`make demo` killed twice, then run to the end, leaves the rows of one clean run (that a
    rerun of a finished partition changes nothing is test_materialize_..._changes_nothing)."""
    objects = Path(ingest_env["FASHION_HOME"]) / "objects"
    raw = objects / "assets" / "raw_items" / f"{PARTITION}.parquet"
    images = objects / "images"
    # killed while images are being stored, then killed right after the crawl step
    _kill_when(
        _cli(ingest_env), lambda: images.is_dir() and sum(1 for _ in images.rglob("*.jpg")) > 20
    )
    _kill_when(_cli(ingest_env), raw.exists)
    done = _cli(ingest_env)
    out, _ = done.communicate(timeout=540)
    assert done.returncode == 0, out
    assert "items in PostgreSQL" in out and "make dev" in out
    ids, rejects = expected(240)
    state = table_state(ingest_env["DATABASE_URL"])
    assert set(state[0]) == ids and state[1] == rejects


def test_s3_backend_through_a_custom_endpoint(ingest_env, s3_env, monkeypatch):
    monkeypatch.setenv("FASHION_STORAGE", "s3")
    monkeypatch.setenv("FASHION_S3_BUCKET", s3_env["bucket"])
    monkeypatch.setenv("FASHION_S3_PREFIX", "demo")
    monkeypatch.setenv("FASHION_S3_ENDPOINT_URL", s3_env["endpoint_url"])
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "60")
    result = materialize_ingest()
    assert result.success
    client = boto3.client("s3", endpoint_url=s3_env["endpoint_url"], region_name="us-east-1")
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3_env["bucket"])
        for o in page.get("Contents", [])
    ]
    assert f"demo/assets/raw_items/{PARTITION}.parquet" in keys
    image_keys = {k for k in keys if k.startswith("demo/images/")}
    items, _ = table_state(ingest_env["DATABASE_URL"])
    with psycopg.connect(ingest_env["DATABASE_URL"]) as conn:
        stored = {f"demo/{k}" for (k,) in conn.execute("SELECT image_key FROM items")}
    assert stored and stored <= image_keys and len(items) == len(expected(60)[0])
    assert not (Path(ingest_env["FASHION_HOME"]) / "objects").exists()


def test_missing_bucket_fails_the_run_with_what_to_set(ingest_env, s3_env, monkeypatch):
    monkeypatch.setenv("FASHION_STORAGE", "s3")
    monkeypatch.setenv("FASHION_S3_BUCKET", "no-such-bucket")
    monkeypatch.setenv("FASHION_S3_ENDPOINT_URL", s3_env["endpoint_url"])
    with pytest.raises(Exception, match="FASHION_S3_BUCKET"):
        materialize_ingest()


def test_unknown_source_fails_at_once_with_what_to_set(ingest_env, monkeypatch):
    """The crawl retries network trouble (NETWORK_RETRY), never a misconfiguration."""
    assert crawl.op.retry_policy == NETWORK_RETRY and NETWORK_RETRY.max_retries >= 1
    monkeypatch.setenv("FASHION_CRAWL_SOURCE", "ftp")
    result = materialize_ingest(raise_on_error=False)
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1 and "FASHION_CRAWL_SOURCE" in str(failures[0].event_specific_data)
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_unreachable_database_fails_the_run_with_what_to_set(ingest_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://fashion:hunter2@127.0.0.1:9/fashion")
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "20")
    with pytest.raises(Exception, match="DATABASE_URL") as info:
        materialize_ingest()
    assert "hunter2" not in str(info.value)


def _today() -> date:
    """Today in the partitions' time zone, away from midnight (the asset reads the clock too)."""
    zone = ZoneInfo(daily_partitions.timezone)
    now = datetime.now(zone)
    to_midnight = (24 * 60 - now.hour * 60 - now.minute) * 60 - now.second
    if to_midnight < 120:
        time.sleep(to_midnight + 1)
    return datetime.now(zone).date()


def test_web_source_live_today_snapshots_past_days_and_never_crawls_the_past(ingest_env, tmp_path):
    root = tmp_path / "shop"
    root.mkdir()
    wanted = build_platform_shop(root)
    today = _today()
    past, never = today - timedelta(days=3), today - timedelta(days=2)
    with serve_folder(root) as origin:
        write_sitemaps(root, origin)
        source = CrawlSourceResource(
            source="web", start_url=origin, per_host_rps=100, per_host_concurrency=8
        )
        live = materialize_ingest(today.isoformat(), crawl_source=source)
        # a crawl made on a past day (the core with that day's clock) leaves its snapshot
        spec = source.spec()
        store = LocalObjectStore(Path(ingest_env["FASHION_HOME"]) / "objects")
        run_source(spec, past, tmp_path, store, today=past)
    assert live.success
    meta = live.asset_materializations_for_node("crawl")[0].metadata
    assert meta["pages_from"].value == "live"
    assert "opengraph" in meta["fields_stated_by_source"].value
    host = origin.removeprefix("http://")
    with psycopg.connect(ingest_env["DATABASE_URL"]) as conn:
        rows = dict(conn.execute("SELECT sku, provenance FROM items").fetchall())
        warned = conn.execute("SELECT count(*) FROM items WHERE warnings <> '{}'").fetchone()[0]
    assert set(rows) == {e.sku for e in wanted if e.values}
    assert rows["P0000BAB"]["category"] == "title" and rows["WJ12"]["category"] == "breadcrumb"
    assert warned == 0
    filtered = live.asset_materializations_for_node("clean_items")[0].metadata
    assert "title" in filtered["provenance"].value
    # the shop is gone: the past partition is re-extracted from its snapshot
    replayed = materialize_ingest(past.isoformat(), crawl_source=source)
    assert replayed.success
    meta = replayed.asset_materializations_for_node("crawl")[0].metadata
    assert meta["pages_from"].value == "snapshot"
    assert host in meta["origin"].value
    # a past date that was never crawled fails and says so; nothing is fetched
    failed = materialize_ingest(never.isoformat(), crawl_source=source, raise_on_error=False)
    assert not failed.success
    failure = next(e for e in failed.all_events if e.is_step_failure)
    assert "was never crawled" in failure.step_failure_data.error.message


def test_one_partition_from_the_dagster_cli(ingest_env):
    env = {**os.environ, **ingest_env, "FASHION_DEMO_ITEMS": "40"}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "asset",
            "materialize",
            "-m",
            "fashion_assets.definitions",
            "--select",
            "raw_items,item_images,filtered_items,rejected_items,items_table",
            "--partition",
            PARTITION,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    items, _ = table_state(ingest_env["DATABASE_URL"])
    assert set(items) == expected(40)[0]


def test_dagster_postgres_instance_runs_a_materialization(
    ingest_env, pg_server_url, tmp_path, monkeypatch
):
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS dagster_storage WITH (FORCE)")
        conn.execute("CREATE DATABASE dagster_storage")
    monkeypatch.setenv("DAGSTER_PG_URL", pg_server_url.replace("/postgres?", "/dagster_storage?"))
    monkeypatch.setenv("FASHION_DEMO_ITEMS", "30")
    home = tmp_path / "dagster_pg_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = materialize_ingest(instance=instance)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.is_success
    with psycopg.connect(os.environ["DAGSTER_PG_URL"]) as conn:
        runs = conn.execute(
            "SELECT count(*) FROM runs WHERE run_id = %s", (result.run_id,)
        ).fetchone()[0]
        events = conn.execute(
            "SELECT count(*) FROM event_logs WHERE run_id = %s", (result.run_id,)
        ).fetchone()[0]
    assert runs == 1 and events > 10
