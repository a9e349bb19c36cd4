"""FastAPI services: CLIP embeddings, vector search, VLM chat and RAG styling recommendations.

The services import the plain-Python core (`fashion_assets.*` outside `defs/`), never the
Dagster shell. They arrive with the serving issue; see serving/README.md.
"""
