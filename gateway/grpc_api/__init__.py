"""The public gRPC MemoryService."""
