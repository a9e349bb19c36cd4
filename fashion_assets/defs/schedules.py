"""Schedules: the daily pipeline at 03:00 Korean time, for that day's partition."""

import dagster as dg

from .jobs import daily_job

daily_crawl_schedule = dg.build_schedule_from_partitioned_job(
    daily_job, name="daily_crawl", hour_of_day=3, minute_of_hour=0
)
