"""The weekly bookkeeping's faster forms count and sum what the plain forms do, bit for bit (issue 18).

Each test runs the fast form and a plain reference (the form the code had before, or the library
call it stands in for) on the same inputs and asserts bit-equal results.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_config
from sim.enforcement import Outcome
from sim.model import ENCOUNTER_COUNTS, SahelModel
from sim.stats import accumulate


def _record_encounters_plain(m: SahelModel, enc) -> dict[str, np.ndarray]:
    """The encounter counters, one count per counter (the form before the counts were fused)."""
    st = {key: np.zeros(m.world.n_places) for key in ENCOUNTER_COUNTS}
    accumulate(st["enc_total"], enc.place, 1.0)
    staffed = m.enforcement.rates.staffed[enc.place] & m.world.in_mali[enc.place]
    accumulate(st["enc_staffed"], enc.place[staffed], 1.0)
    bribed = staffed & ((enc.outcome == Outcome.ROUTINE) | (enc.outcome == Outcome.SETTLED))
    accumulate(st["enc_bribed"], enc.place[bribed], 1.0)
    carries = m.crews.livelihood[enc.good]
    accumulate(st["enc_livelihood"], enc.place[carries], 1.0)
    accumulate(st["enc_livelihood_seized"], enc.place[carries & (enc.outcome == Outcome.SEIZED)], 1.0)
    if m.armed_groups is not None:
        jihadist = m.armed_groups.jihadist_blocs()
        bloc = m.crews.bloc[enc.crew]
        accumulate(st["enc_jihadist"], enc.place[(bloc >= 0) & np.isin(bloc, jihadist)], 1.0)
    return st


@pytest.mark.parametrize("seed", [0, 4])
def test_the_encounter_counts_are_one_count_per_counter(seed):
    """The six counters from one count of (place, kinds) pairs equal a count per counter, every week."""
    m = SahelModel(small_config(seed, supply_scale=0.3).scenario, seed=seed)
    checked = []
    record = m.record_encounters

    def spy(enc) -> None:
        plain = _record_encounters_plain(m, enc)  # the week's rates and blocs, as the call sees them
        before = m.stats.rows(ENCOUNTER_COUNTS).copy()
        record(enc)
        after = m.stats.rows(ENCOUNTER_COUNTS)
        for row, key in enumerate(ENCOUNTER_COUNTS):
            assert np.array_equal(after[row], m.stats.week[key])  # the rows are the counters themselves
            assert (after[row] - before[row]).tobytes() == plain[key].tobytes(), key  # whole numbers: exact
        checked.append(np.array([plain[key].sum() for key in ENCOUNTER_COUNTS]))

    m.record_encounters = spy
    for _ in range(12):
        m.step()
    totals = np.sum(checked, axis=0)
    assert len(checked) >= 12 and (totals > 0).all(), dict(zip(ENCOUNTER_COUNTS, totals, strict=True))
