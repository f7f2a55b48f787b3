"""memgrid's benchmark harness: `python -m bench run` starts the real stack in-process and measures it."""
