"""fashion_assets: a Dagster-orchestrated data and ML platform for fashion recommendation."""

__version__ = "0.1.0"
