"""PostgreSQL: the embedded default, the schema and the item tables."""
