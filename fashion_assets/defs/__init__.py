"""The Dagster shell: thin assets, checks, resources, jobs and schedules."""
