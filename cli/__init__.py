"""The `memgrid` command line."""
