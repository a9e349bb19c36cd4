#!/bin/sh
# A database of its own for the Dagster instance (runs, events, schedules), beside the catalogue.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE dagster;
SQL
