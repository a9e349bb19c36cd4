"""Schedules: the daily pipeline at 03:00 and the re-embedding at 04:00, Korean time."""

import dagster as dg

from .jobs import daily_job, reembed_job

daily_crawl_schedule = dg.build_schedule_from_partitioned_job(
    daily_job, name="daily_crawl", hour_of_day=3, minute_of_hour=0
)

nightly_reembed_schedule = dg.ScheduleDefinition(
    name="nightly_reembed",
    job=reembed_job,
    cron_schedule="0 4 * * *",
    execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING,  # the backstop of the automation sensor
    description="Encode only what changed since the last run (a model change encodes all).",
)
