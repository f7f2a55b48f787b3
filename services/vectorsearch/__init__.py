"""vectorsearch: owns the embedder and the Milvus collection; embeds, stores and searches memory vectors."""
