"""The exact solver for one stratum finds the true optimum of the capacitated p-median problem."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from berdaya.engine.grouping.exact import Solution, lower_bound_lp, objective_of, solve_exact

# (seed, n, k, size_min, size_max): small enough to enumerate every grouping.
TINY = [
    (1, 5, 2, 2, 3),
    (2, 6, 2, 2, 4),
    (3, 7, 2, 3, 4),
    (4, 7, 3, 1, 3),
    (5, 8, 2, 4, 4),
    (6, 8, 3, 2, 3),
    (7, 9, 3, 3, 3),
    (8, 9, 2, 2, 7),
    (9, 9, 3, 1, 9),
    (10, 6, 1, 6, 6),
    (11, 4, 4, 1, 1),
]


def tiny_points(seed: int, n: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1000, size=(n, 2))


def brute_force(xy: np.ndarray, k: int, size_min: int, size_max: int) -> float:
    """Best objective over every medoid set and every assignment of the other points to it."""
    n = len(xy)
    distance = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    best = np.inf
    for medoids in itertools.combinations(range(n), k):
        others = [i for i in range(n) if i not in medoids]
        for choice in itertools.product(medoids, repeat=len(others)):
            sizes = [1 + choice.count(j) for j in medoids]
            if min(sizes) < size_min or max(sizes) > size_max:
                continue
            best = min(best, sum(distance[i, j] for i, j in zip(others, choice, strict=True)))
    return best


def assert_valid(solution: Solution, n: int, k: int, size_min: int, size_max: int) -> None:
    assert solution.assignment.shape == (n,)
    assert solution.medoids.shape == (k,)
    assert len(set(solution.medoids.tolist())) == k
    assert set(solution.assignment.tolist()) == set(solution.medoids.tolist())
    assert (solution.assignment[solution.medoids] == solution.medoids).all()
    sizes = np.bincount(solution.assignment, minlength=n)[solution.medoids]
    assert sizes.sum() == n
    assert sizes.min() >= size_min
    assert sizes.max() <= size_max


@pytest.mark.parametrize(("seed", "n", "k", "size_min", "size_max"), TINY)
def test_it_matches_the_brute_force_optimum_on_tiny_instances(seed, n, k, size_min, size_max):
    xy = tiny_points(seed, n)
    solution = solve_exact(xy, k, size_min, size_max, time_limit=10)
    assert solution.optimal
    assert solution.objective == pytest.approx(brute_force(xy, k, size_min, size_max), rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(("seed", "n", "k", "size_min", "size_max"), TINY)
def test_it_assigns_every_point_once_within_sizes_and_medoids_to_themselves(seed, n, k, size_min, size_max):
    xy = tiny_points(seed, n)
    solution = solve_exact(xy, k, size_min, size_max, time_limit=10)
    assert_valid(solution, n, k, size_min, size_max)
    assert solution.objective == pytest.approx(objective_of(xy, solution.assignment))


@pytest.mark.parametrize(("seed", "n", "k", "size_min", "size_max"), TINY)
def test_the_lp_bound_never_exceeds_the_optimum(seed, n, k, size_min, size_max):
    xy = tiny_points(seed, n)
    solution = solve_exact(xy, k, size_min, size_max, time_limit=10)
    bound = lower_bound_lp(xy, k, size_min, size_max, time_limit=10)
    assert 0 <= bound <= solution.objective + 1e-6
    assert solution.lower_bound <= solution.objective + 1e-6


def test_capacities_change_the_answer_when_the_nearest_medoid_is_full():
    # Two tight clusters of 4 and 2 points; groups of exactly 3 force one point across.
    xy = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [100, 0], [101, 0]], dtype=float)
    solution = solve_exact(xy, 2, 3, 3, time_limit=10)
    assert_valid(solution, 6, 2, 3, 3)
    assert solution.objective == pytest.approx(brute_force(xy, 2, 3, 3))
    assert solution.objective > 90


@pytest.mark.parametrize(
    ("n", "k", "size_min", "size_max", "words"),
    [
        (10, 3, 4, 6, "need 12 points"),
        (10, 2, 2, 4, "hold 8 points"),
        (10, 0, 1, 10, "k must be at least 1"),
        (10, 2, 0, 10, "size_min must be at least 1"),
        (10, 2, 6, 5, "below size_min"),
        (3, 4, 1, 1, "need 4 points"),
    ],
)
def test_it_refuses_strata_that_cannot_be_grouped(n, k, size_min, size_max, words):
    xy = tiny_points(0, n)
    with pytest.raises(ValueError, match=words):
        solve_exact(xy, k, size_min, size_max, time_limit=5)
    with pytest.raises(ValueError, match=words):
        lower_bound_lp(xy, k, size_min, size_max, time_limit=5)


def test_it_refuses_coordinates_of_the_wrong_shape_or_missing():
    with pytest.raises(ValueError, match="shape"):
        solve_exact(np.zeros((5, 3)), 1, 1, 5)
    with pytest.raises(ValueError, match="missing or infinite"):
        solve_exact(np.array([[0.0, 0.0], [np.nan, 1.0]]), 1, 1, 2)


def test_the_same_input_gives_the_same_grouping():
    xy = np.random.default_rng(42).uniform(0, 2000, size=(40, 2))
    first = solve_exact(xy, 4, 5, 15, time_limit=20)
    second = solve_exact(xy, 4, 5, 15, time_limit=20)
    assert np.array_equal(first.assignment, second.assignment)
    assert np.array_equal(first.medoids, second.medoids)
    assert first.objective == second.objective


def test_sixty_points_in_six_groups_solve_to_proven_optimality_within_twenty_seconds():
    rng = np.random.default_rng(60)
    xy = rng.uniform(0, 3000, size=(60, 2))
    solution = solve_exact(xy, 6, 5, 20, time_limit=20)
    assert solution.optimal
    assert solution.seconds < 20
    assert_valid(solution, 60, 6, 5, 20)
    assert solution.lower_bound == pytest.approx(solution.objective)
    assert lower_bound_lp(xy, 6, 5, 20, time_limit=20) <= solution.objective + 1e-6


def test_a_better_warm_start_is_kept_when_the_time_limit_stops_the_search():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 3000, size=(30, 2))
    best = solve_exact(xy, 3, 5, 15, time_limit=20)
    # A time limit of zero stops HiGHS before it can improve on anything.
    rushed = solve_exact(xy, 3, 5, 15, time_limit=0.0, warm_start=best)
    assert not rushed.optimal
    assert rushed.objective <= best.objective + 1e-6
    assert_valid(rushed, 30, 3, 5, 15)


def test_a_warm_start_that_breaks_the_sizes_is_refused():
    xy = tiny_points(3, 6)
    bad = Solution(np.array([0, 0, 0, 0, 0, 5]), np.array([0, 5]), 0.0, 0.0, False, 0.0)
    with pytest.raises(ValueError, match="warm_start"):
        solve_exact(xy, 2, 2, 4, warm_start=bad)


def test_a_solution_cannot_be_changed_after_it_is_made():
    solution = solve_exact(tiny_points(1, 5), 2, 2, 3, time_limit=5)
    with pytest.raises(ValueError):
        solution.assignment[0] = 4
    with pytest.raises(AttributeError):
        solution.objective = 0.0  # type: ignore[misc]


def test_objective_of_sums_each_points_distance_to_its_medoid():
    xy = np.array([[0, 0], [3, 4], [6, 8]], dtype=float)
    assert objective_of(xy, np.array([1, 1, 1])) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="shape"):
        objective_of(xy, np.array([0, 0]))
