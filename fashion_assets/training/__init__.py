"""The training side: jobs that run in a subprocess or a GPU pod and speak Dagster Pipes."""
