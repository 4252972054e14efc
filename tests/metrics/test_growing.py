"""GrowingRows: the engine's per-sample buffers hold exactly what was appended and not dropped."""

import numpy as np

from metrics.core.growing import MIN_ROOM, GrowingRows


def test_rows_are_what_was_appended_less_what_was_dropped_across_growth() -> None:
    rng = np.random.default_rng(3)
    rows, reference = GrowingRows((4,)), np.empty((4, 0))
    for step in range(200):
        new = rng.normal(size=(4, int(rng.integers(0, 3 * MIN_ROOM // 10))))
        held = rows.append(new)
        reference = np.concatenate([reference, new], axis=1)
        if step % 7 == 6:
            count = int(rng.integers(0, reference.shape[1] + 5))
            held = rows.drop(count)
            reference = reference[:, count:]
        np.testing.assert_array_equal(held, reference)
    assert reference.shape[1] > MIN_ROOM  # the store grew past its first size on the way


def test_a_view_handed_out_keeps_its_samples_through_later_appends_and_drops() -> None:
    rows = GrowingRows((), dtype=bool)
    first = rows.append(np.array([True, False, True]))
    rows.drop(2)
    for _ in range(5):  # past the store's room: copied to a larger one
        rows.append(np.ones(MIN_ROOM, dtype=bool))
    np.testing.assert_array_equal(first, [True, False, True])
    assert rows.rows.dtype == bool and rows.rows.shape == (5 * MIN_ROOM + 1,)
