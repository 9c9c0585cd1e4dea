"""``python -m sim``: hands over to the Hydra command line in :mod:`simcli`.

The model package itself never imports Hydra; only this entry point reaches it.

A run's process has pyarrow allocate from the C library's heap rather than from its own
mimalloc arenas, which it keeps once taken: a run writes its Parquet files at its end, when its
memory peaks, and the arenas raised that peak by 14 MiB (issue 18; docs/performance.md). The
variable must be set before pyarrow is first imported; one already set is kept. The bytes
written are the same whatever the allocator.
"""

import os

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")  # before pyarrow is imported

from sim.lazy import defer_import

defer_import("pandas")  # before Mesa imports it: a run writes its tables without pandas

from simcli.app import main  # noqa: E402 (after the two lines above, by design)

if __name__ == "__main__":
    main()
