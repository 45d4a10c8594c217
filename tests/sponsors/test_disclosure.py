"""Safe figures for sponsors: no group smaller than the threshold, and nothing hidden that
can be worked out by subtracting what is shown (hand-made cases, then an attacker who
tries every assignment the published figures allow)."""

import itertools
import random

import pytest

from conference.sponsors import disclosure
from conference.sponsors.disclosure import HIDDEN, SHOWN, SMALL

K = 5


def published(table):
    return [(row.key, row.figure.state, row.figure.value) for row in table.rows]


def possible_values(table, total, k=K):
    """What an attacker who knows the rule can say of each row: every value it could hold,
    given the total and every figure shown (brute force over small tables)."""
    ranges = []
    for row in table.rows:
        if row.figure.state == SHOWN:
            ranges.append([row.figure.value])
        elif row.figure.state == SMALL:
            ranges.append(list(range(1, k)))
        else:
            ranges.append(list(range(k, total + 1)))
    seen = [set() for _ in table.rows]
    for values in itertools.product(*ranges):
        if sum(values) == total:
            for i, value in enumerate(values):
                seen[i].add(value)
    return seen


def assert_nothing_recoverable(items, k=K):
    total = sum(count for _key, count in items)
    table = disclosure.table(items, k)
    if table.collapsed:
        assert table.rows == []
        return table
    for row, (_key, count) in zip(table.rows, items, strict=True):
        assert row.figure.state != SHOWN or not 0 < count < k, "a small group shown"
    for row, values in zip(table.rows, possible_values(table, total, k), strict=True):
        if row.figure.state != SHOWN:
            assert len(values) >= 2, f"{row.key} can be worked out: {values}"
    hidden = sum(
        count for row, (_k, count) in zip(table.rows, items, strict=True) if not row.figure.shown
    )
    assert hidden == 0 or hidden >= k, "the hidden cells together are a small group"
    return table


def test_the_threshold_comes_from_the_settings(make_app):
    app = make_app(SPONSOR_MIN_GROUP=7)
    with app.app_context():
        assert disclosure.threshold() == 7
    with make_app().app_context():
        assert disclosure.threshold() == 5


def test_a_single_figure_below_the_threshold_is_fewer_than():
    assert disclosure.single(3, K).state == SMALL
    assert disclosure.single(3, K).value is None
    assert disclosure.single(0, K) == disclosure.Figure(SHOWN, 0, K)
    assert disclosure.single(5, K).value == 5


def test_large_groups_are_all_shown():
    table = disclosure.table([("a", 12), ("b", 7), ("c", 5)], K)

    assert published(table) == [("a", SHOWN, 12), ("b", SHOWN, 7), ("c", SHOWN, 5)]
    assert table.total.value == 24


def test_one_small_group_hides_a_second_so_the_total_does_not_give_it_away():
    # Shown: 10, 7, total 20 would give the small city 20 - 10 - 7 = 3.
    table = assert_nothing_recoverable([("a", 10), ("b", 7), ("small", 3)])

    states = {key: state for key, state, _value in published(table)}
    assert states["small"] == SMALL
    assert states["b"] == HIDDEN  # the smallest shown one goes with it
    assert states["a"] == SHOWN
    assert table.total.value == 20


def test_three_from_one_city_next_to_one_big_city():
    table = assert_nothing_recoverable([("big", 10), ("small", 3)])

    assert [state for _k, state, _v in published(table)] == [HIDDEN, SMALL]
    assert table.total.value == 13


def test_two_small_groups_that_together_are_too_few_take_a_third():
    # 2 + 1 = 3 hidden: shown 9 and the total 12 say the two small ones make 3.
    table = assert_nothing_recoverable([("a", 9), ("b", 2), ("c", 1)])

    assert published(table)[0][1] == HIDDEN


def test_two_small_groups_pinned_by_their_bounds_take_a_third():
    # 4 + 4 = 8 hidden, each below 5: both must be 4. A shown one has to go too.
    table = assert_nothing_recoverable([("a", 20), ("b", 4), ("c", 4)])

    assert published(table)[0][1] == HIDDEN


def test_a_small_total_hides_every_row():
    table = disclosure.table([("a", 2), ("b", 1)], K)

    assert table.rows == []
    assert table.collapsed
    assert table.total.state == SMALL


def test_a_table_that_cannot_be_protected_shows_only_its_total():
    # Two groups of 4 and 4 = 8: whatever is hidden, both are 4.
    table = disclosure.table([("a", 4), ("b", 4)], K)

    assert table.collapsed
    assert table.rows == []
    assert table.total.value == 8


def test_the_total_may_be_given_larger_than_the_rows():
    table = disclosure.table([("a", 3)], K, total=10)

    assert_nothing_recoverable_with_total(table, total=10)


def assert_nothing_recoverable_with_total(table, total):
    if table.collapsed:
        return
    for row, values in zip(table.rows, possible_values(table, total), strict=True):
        assert row.figure.state == SHOWN or len(values) >= 2


@pytest.mark.parametrize("seed", range(60))
def test_no_random_table_gives_away_a_hidden_figure(seed):
    chance = random.Random(seed)
    items = [
        (f"g{n}", chance.choice([0, 1, 2, 3, 4, 5, 6, 8, 13])) for n in range(chance.randint(1, 5))
    ]

    assert_nothing_recoverable(items)


# --- Time series -----------------------------------------------------------------------


def test_a_series_merges_periods_until_each_holds_enough():
    periods = disclosure.series([(1, 2), (2, 4), (3, 0), (4, 6), (5, 1)], K)

    assert [(p.first, p.last, p.count, p.cumulative) for p in periods] == [
        (1, 2, 6, 6),
        (3, 5, 7, 13),  # the zero week and the last small one join their neighbours
    ]


def test_every_period_and_every_difference_of_the_running_total_is_large_enough():
    chance = random.Random(7)
    for _ in range(200):
        items = [(n, chance.choice([0, 0, 1, 2, 3, 7])) for n in range(chance.randint(1, 12))]
        periods = disclosure.series(items, K)
        if sum(count for _n, count in items) < K:
            assert periods == []
            continue
        cumulative = [0] + [p.cumulative for p in periods]
        # Any figure one can derive is a difference of two running totals: never small.
        for a, b in itertools.combinations(cumulative, 2):
            assert b - a >= K
        assert cumulative[-1] == sum(count for _n, count in items)


def test_a_series_too_small_in_all_is_not_shown():
    assert disclosure.series([(1, 1), (2, 3)], K) == []


def test_overall_figures_are_rounded():
    assert disclosure.about(0) == 0
    assert disclosure.about(3) == 10
    assert disclosure.about(127) == 130
