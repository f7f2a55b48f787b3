"""`python -m bench.eval PATH [options]`: the same as `memgrid eval locomo PATH`."""

from __future__ import annotations

from cli.eval import app

app()
