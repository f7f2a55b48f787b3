"""The public edge: the gRPC MemoryService and the Mem0-compatible REST API over one orchestrator."""
