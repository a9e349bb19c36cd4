"""Launching runs and reading their status through the Dagster webserver's GraphQL API, as the
UI does (the production stack and `make dev` tests)."""

from __future__ import annotations

import time

import httpx

LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def query(graphql: str, text: str, variables: dict | None = None) -> dict:
    """The `data` of one GraphQL request."""
    answer = httpx.post(graphql, json={"query": text, "variables": variables or {}}, timeout=30)
    return answer.json()["data"]


def launch_run(graphql: str, job: str, run_config: dict | None = None,
               tags: dict[str, str] | None = None) -> str:  # fmt: skip
    """Launch `job` of the fashion_assets location; returns the run id. Retried for up to two
    minutes while the webserver is still loading the code location."""
    params = {
        "selector": {"repositoryLocationName": "fashion_assets", "repositoryName": "__repository__",
                     "jobName": job},
        "runConfigData": run_config or {},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
    }  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        result = query(graphql, LAUNCH, {"params": params})["launchRun"]
        if result["__typename"] == "LaunchRunSuccess" or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def wait_for_runs(graphql: str, run_ids: list[str], seconds: float) -> dict[str, str]:
    """Each run's status once all have finished, or as they are after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        statuses = {r: query(graphql, STATUS, {"id": r})["runOrError"]["status"] for r in run_ids}
        if all(s in FINISHED for s in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(2)
