"""The LOCOMO harness: loading with evidence repair, and one evaluation run against the real stack over REST."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval.bm25 import Bm25
from bench.eval.locomo import load
from bench.eval.metrics import all_at, any_at, percentile
from bench.eval.run import EvalSettings, evaluate
from tests.conftest import Stack

DEV_SPLIT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "locomo" / "locomo-dev.json"


def _fixture(path: Path) -> Path:
    turns_1 = [
        {"speaker": "Ann", "dia_id": "D1:1", "text": "Hi Bob, I just adopted a greyhound called Pixel!"},
        {"speaker": "Bob", "dia_id": "D1:2", "text": "Congrats! I started learning the cello last week."},
        {"speaker": "Ann", "dia_id": "D1:3", "text": "I am flying to Lisbon for a conference in June."},
    ]
    turns_2 = [
        {"speaker": "Bob", "dia_id": "D2:1", "text": "How was Lisbon? I played my first cello recital."},
        {"speaker": "Ann", "dia_id": "D2:2", "text": "Lovely, Pixel stayed with my sister."},
        {"speaker": "Bob", "dia_id": "D2:3", "text": "My sister runs a bakery in Porto.", "blip_caption": "a photo"},
    ]
    qa = [
        {"question": "What instrument is Bob learning?", "answer": "cello", "evidence": ["D1:2"], "category": 4},
        {"question": "When did Ann fly to Lisbon?", "answer": "June", "evidence": ["D1:3; D2:1"], "category": 2},
        {"question": "Where is the bakery of Bob's sister?", "answer": "Porto", "evidence": ["D2:03"], "category": 1},
        {"question": "What is Ann's dog called?", "answer": "Pixel", "evidence": ["D9:9", "D"], "category": 3},
        {"question": "What is Bob's cat called?", "adversarial_answer": "Tom", "evidence": ["D1:1"], "category": 5},
    ]
    sample = {
        "sample_id": "conv-t",
        "conversation": {
            "speaker_a": "Ann",
            "speaker_b": "Bob",
            "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": turns_1,
            "session_2_date_time": "10:00 am on 20 June, 2023",
            "session_2": turns_2,
        },
        "qa": qa,
    }
    path.write_text(json.dumps([sample]), encoding="utf-8")
    return path


def test_load_repairs_and_counts_evidence(tmp_path: Path) -> None:
    dataset = load(_fixture(tmp_path / "tiny.json"))
    (conversation,) = dataset.conversations
    assert conversation.turns[0].content == "[08 May 2023] Ann: Hi Bob, I just adopted a greyhound called Pixel!"
    assert conversation.turns[3].session_date.month == 6
    assert [(q.category, q.evidence) for q in dataset.questions] == [
        (4, ("D1:2",)),
        (2, ("D1:3", "D2:1")),
        (1, ("D2:3",)),
    ]
    assert (dataset.repairs.valid, dataset.repairs.repaired, dataset.repairs.skipped) == (1, 3, 2)
    assert dict(dataset.dropped) == {"category 5": 1, "no usable evidence": 1}


@pytest.mark.skipif(not DEV_SPLIT.exists(), reason=f"LOCOMO dev split not found at {DEV_SPLIT}")
def test_dev_split_loads_with_its_known_defects_repaired() -> None:
    dataset = load(DEV_SPLIT)
    assert [c.id for c in dataset.conversations] == ["conv-26", "conv-30", "conv-41", "conv-42", "conv-43"]
    # `D8:6; D9:17` -> two ids, `D:11:26` -> D11:26; `D` and a turn that does not exist are skipped.
    assert (dataset.repairs.repaired, dataset.repairs.skipped) == (3, 2)
    assert len(dataset.questions) == 760


def test_metrics_and_bm25() -> None:
    assert any_at(["a", "b", "c"], ["c", "x"], 3) and not any_at(["a", "b", "c"], ["c"], 2)
    assert all_at(["a", "b"], ["b", "a"], 2) and not all_at(["a", "b"], ["a", "x"], 2)
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(v) for v in range(1, 101)], 95) == 95.0
    index = Bm25(["the cello lesson", "a greyhound named pixel", "cello and greyhound"])
    assert index.top("greyhound pixel", 3) == [1, 2]


async def test_evaluation_run_against_the_stack(stack: Stack, tmp_path: Path) -> None:
    settings = EvalSettings(
        path=_fixture(tmp_path / "tiny.json"),
        name="tiny",
        out=tmp_path / "results",
        url=stack.rest_url,
        api_key=stack.key_a,
        progress=False,
    )
    report = await evaluate(settings)
    assert set(report["results"]) == {"bm25", "dense", "hybrid"}
    assert (report["turns"], report["questions"]) == (6, 3)
    for name, table in report["results"].items():
        assert set(table) == {"1", "2", "4", "overall"}
        assert table["overall"]["n"] == 3
        assert all(0.0 <= table["overall"][m] <= 1.0 for m in ("any@5", "all@10", "any@20"))
        if name != "bm25":
            # Six turns, top 20: every turn of the conversation comes back, traced by its dia_id.
            assert table["overall"]["all@20"] == 1.0
            assert table["overall"]["p95_ms"] >= table["overall"]["p50_ms"] > 0
    assert report["results"]["hybrid"]["4"]["any@5"] == 1.0  # "cello" + "Bob" single-hop
    saved = json.loads((tmp_path / "results" / "tiny.json").read_text())
    assert saved["results"] == report["results"]
    text = (tmp_path / "results" / "tiny.md").read_text()
    assert "| hybrid |" in text and "any@10" in text and "3 repaired" in text
