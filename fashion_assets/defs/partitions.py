"""Daily partitions by crawl date (Korean shop time), today's included."""

import dagster as dg

daily_partitions = dg.DailyPartitionsDefinition(
    start_date="2026-11-01", end_offset=1, timezone="Asia/Seoul"
)
