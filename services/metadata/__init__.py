"""The metadata service: the SQL system of record for memories, history, entities, API keys and events."""
