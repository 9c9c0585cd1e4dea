"""The twelfth pass's changes to a run's fixed costs (sim/run.py, sim/dictionary.py), against their old forms.

The data dictionary is dumped to compact JSON once a run and that text is the Parquet files'
metadata; the weeks' dates are kept between runs of one start date. Each must give what the
replaced code gave: the same metadata and Parquet bytes, the same date texts, taken afresh.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import types

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim import dictionary
from sim import run as run_module


def _attach_before(table: pa.Table, data: dict) -> pa.Table:
    """``dictionary.attach`` before collect12 (its own dump): the reference."""
    meta = dict(table.schema.metadata or {})
    meta[dictionary.METADATA_KEY] = json.dumps(data, ensure_ascii=False, sort_keys=False).encode()
    return table.replace_schema_metadata(meta)


def _dates_before(model, weeks: np.ndarray) -> list[str]:
    """``sim.run._dates`` before collect12: the reference."""
    return [str(model.start_date + dt.timedelta(weeks=int(w))) for w in weeks]


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _dictionary(rng: np.random.Generator) -> dict:
    words = ["é", "a", "ünit", "—", "x\ny", '"q"', "1", ""]
    return {
        str(rng.choice(words)) + str(i): {
            "unit": str(rng.choice(words)),
            "tags": [str(w) for w in rng.choice(words, rng.integers(0, 4))],
            "n": int(rng.integers(-5, 5)),
            "v": float(rng.normal()),
            "on": bool(rng.integers(0, 2)),
            "none": None,
        }
        for i in range(rng.integers(0, 12))
    }


def test_attach_with_the_compact_text_is_attach_alone(monkeypatch):
    monkeypatch.setattr(run_module, "_DICTIONARY_TEXT", [])
    rng = np.random.default_rng(12)
    table = pa.table({"a": [1.0, -0.0, 3.0], "b": ["x", "y", None]})
    table = table.replace_schema_metadata({b"pandas": b"{}"})
    for _ in range(200):
        data = _dictionary(rng)
        compact, indented = run_module._dictionary_texts(data)
        assert indented == json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        want = _attach_before(table, data)
        for got in (dictionary.attach(table, data, compact), dictionary.attach(table, data)):
            assert got.schema.metadata == want.schema.metadata
            assert got.equals(want, check_metadata=True)
            assert _parquet(got) == _parquet(want)
        assert json.loads(want.schema.metadata[dictionary.METADATA_KEY]) == data


def test_dictionary_texts_follow_a_changed_dictionary(monkeypatch):
    monkeypatch.setattr(run_module, "_DICTIONARY_TEXT", [])
    first, second = {"a": [1, "é"]}, {"a": [1, "é"], "b": None}
    for data in (first, second, first, first, second):
        compact, indented = run_module._dictionary_texts(data)
        assert compact == json.dumps(data, ensure_ascii=False)
        assert indented == json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def test_dates_are_the_dates_made_afresh(monkeypatch):
    monkeypatch.setattr(run_module, "_DATES", [])
    rng = np.random.default_rng(7)
    starts = [dt.date(2012, 1, 2), dt.date(2013, 3, 1), dt.date(2000, 2, 29)]
    for _ in range(300):
        model = types.SimpleNamespace(start_date=starts[rng.integers(0, len(starts))])
        kind = rng.integers(0, 4)
        n = int(rng.integers(0, 700))
        if kind == 0:
            weeks = np.arange(1, n + 1)  # a run's weeks: the kept texts
        elif kind == 1:
            weeks = np.arange(0, n)  # from week 0: made afresh
        elif kind == 2:
            weeks = rng.integers(-3, 800, n)  # any weeks
        else:
            weeks = np.arange(1, n + 1)[::-1]
        got = run_module._dates(model, weeks)
        assert got == _dates_before(model, weeks)
        got.append("changed")  # a caller's list is its own: the kept texts stay as they were
        assert run_module._dates(model, weeks) == _dates_before(model, weeks)
