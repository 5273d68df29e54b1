"""demo_world.match_score mirrors motis's cut-off (crates/engine/src/cutoff.rs) to choose a
model's match score: the mirror must read that file's constants and cut where it cuts."""

import numpy as np

from demo_world.match_score import cutoff_constants, shown


def smooth(best, step, count):
    return np.array([best - step * i for i in range(count)], dtype=np.float32)


def test_the_constants_are_read_from_the_engine():
    constants = cutoff_constants()
    assert constants["DEPTH"] == 60 and 0 < constants["BULK"] < 1
    assert all(constants[name] > 0 for name in ("FLOOR", "SPREAD", "GAP", "MATCH_SPREAD"))


def test_it_cuts_where_the_engines_unit_tests_say():
    c = cutoff_constants()
    # The cases of cutoff.rs's unit tests: a gallery at 0 ± 0.1, or 0.2 ± 0.12.
    assert shown(smooth(0.74, 0.03, 20), 0.0, 0.1, 1000, None, c) == 4
    assert shown(smooth(0.62, 0.02, 20), 0.0, 0.1, 1000, None, c) == 0
    with_gap = np.concatenate([[0.80], smooth(0.64, 0.005, 30)])
    assert shown(with_gap, 0.2, 0.1, 1000, None, c) == 1
    assert shown(smooth(0.80, 0.005, 31), 0.2, 0.1, 1000, None, c) == 0
    many = smooth(0.5, 0.005, 30)
    assert shown(many, 0.2, 0.12, 1000, None, c) == 0
    assert shown(many, 0.2, 0.12, 1000, 0.4475, c) == 11
    assert shown(smooth(0.9, 0.019, 30), 0.0, 0.1, 1000, 0.3, c) == 11
