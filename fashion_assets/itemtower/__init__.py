"""The item tower (seed 004): SimCSE-style contrastive item embeddings from attributes and titles."""
