"""CLIP embeddings: the encoder, batching, and the offline tiny model."""
