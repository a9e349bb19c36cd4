"""FastAPI services: CLIP embeddings, vector search, VLM chat and RAG styling recommendations.

The services import the plain-Python core (`fashion_assets.*` outside `defs/`), never the
Dagster shell. `python -m serving` runs them; see serving/README.md.
"""
