"""The Mem0-compatible REST API."""
