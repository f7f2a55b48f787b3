"""LOCOMO retrieval evaluation: `memgrid eval locomo PATH` / `make eval` (see README, "Retrieval quality")."""
