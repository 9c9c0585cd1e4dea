"""A run's tables as Arrow tables built straight from arrays, without pandas.

Why (issue 18, memory; docs/performance.md): a run's process need not load pandas, about 40 MiB
of a run's peak, to write its Parquet files. The files must stay the bytes pyarrow's pandas
conversion writes (``pa.Table.from_pandas(frame, preserve_index=False)``), so a table here has
the same Arrow types (float64 with NaN as null, text as ``large_string`` as pandas' string dtype
converts) and the same ``pandas`` schema metadata. That metadata follows pandas' documented format
("Storing pandas DataFrame objects in Apache Parquet format", pandas' developer guide) and depends
only on the columns' names and kinds and on the two libraries' versions.
``tests/test_run_tables.py`` compares each table with pyarrow's conversion of the same frame.

Only tables with rows: to pandas an empty list is not text (pandas 3 makes it a float64 column),
so the callers convert an empty table through pandas (:func:`has_rows`), as before.
"""

from __future__ import annotations

import functools
import importlib.metadata
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# A column's kind: its Arrow type and the pandas metadata's ``pandas_type`` and ``numpy_type``,
# as pyarrow writes them for pandas' int64, float64 and string (``str``) columns.
KINDS = {
    "int64": (pa.int64(), "int64", "int64"),
    "float64": (pa.float64(), "float64", "float64"),
    "str": (pa.large_string(), "object", "str"),
}

# (name, kind, values): values an int64 or float64 array, or a list of str.
Column = tuple[str, str, "np.ndarray | list[str]"]


@functools.cache
def _creators() -> tuple[str, str]:
    """The versions the metadata records: pyarrow's, and pandas' read from its package without importing it."""
    return pa.__version__, importlib.metadata.version("pandas")


@functools.lru_cache(maxsize=16)
def pandas_metadata(names: tuple[str, ...], kinds: tuple[str, ...]) -> bytes:
    """The ``pandas`` schema metadata pyarrow writes for a frame of these columns, without its index."""
    pyarrow_version, pandas_version = _creators()
    columns = [
        {"name": n, "field_name": n, "pandas_type": KINDS[k][1], "numpy_type": KINDS[k][2], "metadata": None}
        for n, k in zip(names, kinds, strict=True)
    ]
    return json.dumps(
        {
            "index_columns": [],
            "column_indexes": [],
            "columns": columns,
            "attributes": {},
            "creator": {"library": "pyarrow", "version": pyarrow_version},
            "pandas_version": pandas_version,
        }
    ).encode()


@functools.lru_cache(maxsize=16)
def schema(names: tuple[str, ...], kinds: tuple[str, ...]) -> pa.Schema:
    """The Arrow schema of such a table, pandas metadata included."""
    fields = [pa.field(n, KINDS[k][0]) for n, k in zip(names, kinds, strict=True)]
    return pa.schema(fields, metadata={b"pandas": pandas_metadata(names, kinds)})


def has_rows(columns: Sequence[Column]) -> bool:
    """Whether the table has a row (an empty one is converted through pandas; see the module's note)."""
    return bool(columns) and len(columns[0][2]) > 0


def float_array(values: np.ndarray) -> pa.Array:
    """A float64 array with NaN as null, as pyarrow's pandas conversion makes it.

    Built from its buffers: ``pa.array`` asks pyarrow's pandas shim about every input, which
    imports pandas.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(values)
    n_missing = int(np.count_nonzero(missing))
    valid = pa.py_buffer(np.packbits(~missing, bitorder="little")) if n_missing else None
    return pa.Array.from_buffers(pa.float64(), len(values), [valid, pa.py_buffer(values)], null_count=n_missing)


def int_array(values: np.ndarray) -> pa.Array:
    """An int64 array of these values (from its buffer, as :func:`float_array`)."""
    values = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)], null_count=0)


def text_array(values: Sequence[str]) -> pa.Array:
    """A ``large_string`` array of these texts, UTF-8 (from its buffers, as :func:`float_array`)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string(), len(encoded), buffers, null_count=0)


_ARRAYS = {"int64": int_array, "float64": float_array, "str": text_array}  # by a column's kind


def arrow_table(columns: Sequence[Column]) -> pa.Table:
    """The table of these columns, as pyarrow's conversion of the same pandas frame gives it."""
    names, kinds = tuple(c[0] for c in columns), tuple(c[1] for c in columns)
    return pa.Table.from_arrays([_ARRAYS[k](v) for _, k, v in columns], schema=schema(names, kinds))


def frame(columns: Sequence[Column]):
    """The same table as a pandas DataFrame (imports pandas)."""
    import pandas as pd

    return pd.DataFrame({name: values for name, _, values in columns})


@dataclass(frozen=True)
class WeekTable:
    """A run's weekly outcomes as arrays: the ``week`` and ``date`` columns, then one float64 row per outcome.

    Attributes:
        names: The outcomes' columns, in order.
        block: Outcome by week (C-ordered float64), a row per name.
        weeks: The weeks' numbers (1, 2, ...).
        dates: Each week's date as ISO text.
    """

    names: list[str]
    block: np.ndarray
    weeks: np.ndarray
    dates: list[str]

    def columns(self) -> list[Column]:
        """The table's columns, ``week`` and ``date`` first."""
        outcomes = [(n, "float64", row) for n, row in zip(self.names, self.block, strict=True)]
        return [("week", "int64", self.weeks), ("date", "str", self.dates), *outcomes]

    def arrow(self) -> pa.Table:
        """The table as :func:`arrow_table` builds it, the block converted in one call then sliced by row.

        One Arrow array of the whole block and a zero-copy slice per outcome hold the same
        values and nulls as one conversion per column, which costs about 10 µs each (collect11).
        """
        n_rows = len(self.weeks)
        flat = float_array(self.block.reshape(-1))
        arrays = [int_array(self.weeks), text_array(self.dates)]
        arrays += (flat.slice(i * n_rows, n_rows) for i in range(len(self.names)))
        names = ("week", "date", *self.names)
        kinds = ("int64", "str", *itertools.repeat("float64", len(self.names)))
        return pa.Table.from_arrays(arrays, schema=schema(names, kinds))

    def frame(self):
        """The table as a pandas DataFrame: what :func:`sim.run.timeseries` returns (imports pandas)."""
        import pandas as pd

        df = pd.DataFrame(self.block.T, columns=self.names)
        df.insert(0, "date", self.dates)
        df.insert(0, "week", self.weeks)
        return df
