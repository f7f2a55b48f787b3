"""`python -m bench.fulltext_profile` on a small data set with a budget it exceeds, on both backends (PostgreSQL in
the session's cluster): common words are left out of the searches over many memories (and only there), a rare word
still ranks its memories first, and the report and its table say so."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench import fulltext_profile
from tests.support.postgres import PostgresCluster

RARE_QUERY = fulltext_profile.QUERIES[0]
COMMON_QUERY = "What happens every weekend with friends?"


async def test_the_budget_leaves_out_common_words_only_where_they_are_common(postgres: PostgresCluster) -> None:
    args = argparse.Namespace(memories=3_000, users=30, backend="both", rounds=1, budget=200)
    report = await fulltext_profile.profile(args, postgres)
    assert report["memories"] == 3_000 and report["match_budget"] == 200
    assert set(report["backends"]) == {"sqlite", "postgresql"}
    for backend, rows in report["backends"].items():
        cell = {(row["scope"], row["query"]): row for row in rows}
        assert {scope for scope, _ in cell} == {"user", "agent", "project"}
        for scope in ("agent", "project"):
            # ~375 of the 3,000 memories mention "weekend", as many "friends": over the budget, left out...
            assert cell[scope, COMMON_QUERY]["budget"]["hits"] == 0, (backend, scope)
            assert cell[scope, COMMON_QUERY]["every term"]["hits"] == 100, (backend, scope)
            # ...while the rare word's 20 memories stay the first 20 hits.
            assert cell[scope, RARE_QUERY]["budget"]["needles in top 20"] == 20, (backend, scope)
        # A user's 100 memories are few: every word ranks, the same hits either way.
        for query in fulltext_profile.QUERIES:
            assert cell["user", query]["budget"]["hits"] == cell["user", query]["every term"]["hits"], backend
    table = fulltext_profile.markdown(report)
    assert "| postgresql | project | What happens every weekend with friends? |" in table


def test_the_command_writes_json_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "fulltext.json"
    command = [sys.executable, "-m", "bench.fulltext_profile", "--memories", "400", "--users", "4", "--rounds", "1"]
    subprocess.run([*command, "--backend", "sqlite", "--out", str(out)], check=True, capture_output=True, timeout=120)
    report = json.loads(out.read_text())
    assert [row["scope"] for row in report["backends"]["sqlite"]].count("user") == len(fulltext_profile.QUERIES)
    assert out.with_suffix(".md").read_text().startswith("# The lexical half at 400 memories")
