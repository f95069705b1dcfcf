"""Exact group formation for one stratum: the capacitated p-median problem as a MIP (HiGHS via scipy).

A stratum is the families of one village and one business type. We choose `k` meeting houses
(medoids, each a member's house), give every family to exactly one of them, keep every group's size
(the medoid counts as a member) within `[size_min, size_max]`, and minimise the sum of Euclidean
distances, in metres, from each house to its group's meeting house.

Model, with x_ij = 1 when point i belongs to the group whose meeting house is point j::

    min  sum_ij d_ij x_ij
    s.t. sum_j x_ij = 1                                 every point in exactly one group
         sum_j x_jj = k                                 k groups open
         x_ij <= x_jj                 (i != j)          only open meeting houses take members
         size_min x_jj <= sum_i x_ij <= size_max x_jj   group sizes
         x binary

The brief's y_j ("group j is open") equals x_jj (a medoid belongs to its own group), so we use x_jj
for it instead of a separate variable: the model is the same and n fewer columns and n equality rows
go to the solver. The disaggregated `x_ij <= x_jj` rows make the LP relaxation much tighter than the
aggregated capacity rows alone, which is what lets HiGHS close n = 200 quickly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

__all__ = ["Solution", "lower_bound_lp", "objective_of", "solve_exact"]

# HiGHS reports x with tiny numerical noise; anything above one half is a one.
_ONE = 0.5


# eq=False: the fields hold numpy arrays, for which the generated __eq__/__hash__ would raise.
@dataclass(frozen=True, eq=False)
class Solution:
    """A grouping of one stratum.

    `assignment[i]` is the index of point i's medoid (its group's meeting house), `medoids` the k medoid
    indices in increasing order, `objective` the sum of member-to-medoid distances in metres,
    `lower_bound` a proven lower bound on the optimum, `optimal` whether the solver proved optimality
    (within a relative gap of 1e-6), `seconds` the wall-clock time spent.
    """

    assignment: np.ndarray
    medoids: np.ndarray
    objective: float
    lower_bound: float
    optimal: bool
    seconds: float

    def __post_init__(self) -> None:
        # Frozen all the way down: own read-only copies, so no caller can change a reported solution.
        for name in ("assignment", "medoids"):
            array = np.array(getattr(self, name), dtype=np.int64, copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def gap(self) -> float:
        """Relative gap between the objective and the lower bound (0 when proven optimal or objective is 0)."""
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)


def objective_of(xy: np.ndarray, assignment: np.ndarray) -> float:
    """Sum of Euclidean distances from each point to the point it is assigned to.

    `xy` has shape (n, 2) (metres); `assignment[i]` is the index of point i's medoid. Returns metres.
    Raises ValueError when the shapes disagree or an index is out of range.
    """
    xy = _as_points(xy)
    assignment = np.asarray(assignment)
    if assignment.shape != (len(xy),):
        raise ValueError(f"assignment has shape {assignment.shape}, expected ({len(xy)},)")
    if len(xy) == 0:
        return 0.0
    if assignment.min() < 0 or assignment.max() >= len(xy):
        raise ValueError("assignment refers to a point that does not exist")
    return float(np.linalg.norm(xy - xy[assignment], axis=1).sum())


def solve_exact(
    xy: np.ndarray,
    k: int,
    size_min: int,
    size_max: int,
    time_limit: float = 60.0,
    warm_start: Solution | None = None,
) -> Solution:
    """Solve the capacitated p-median problem for one stratum with HiGHS (scipy.optimize.milp).

    Inputs: `xy` (n, 2) projected coordinates in metres; `k` the number of groups; `size_min` and
    `size_max` the allowed group sizes, medoid included; `time_limit` in seconds; `warm_start` an
    optional known solution (from the heuristic).

    scipy's milp cannot pass a starting solution to HiGHS, so `warm_start` does not guide the search;
    it is a safety net instead: when the time limit stops HiGHS with a worse incumbent, or with none,
    the warm start is returned (with HiGHS's lower bound if that is stronger), marked not optimal.

    Result: a `Solution`; `optimal` is True only when HiGHS proved it within a relative gap of 1e-6.
    Same input gives the same output, unless the time limit cuts the search at a different point.

    Errors: ValueError when the input is malformed or no grouping can exist (k < 1, size_min < 1,
    size_max < size_min, k * size_min > n or k * size_max < n); TimeoutError when the time limit
    passes before any grouping is found and no warm start was given.
    """
    started = time.perf_counter()
    xy = _as_points(xy)
    n = len(xy)
    check_feasible(n, k, size_min, size_max)
    if warm_start is not None:
        _check_warm_start(warm_start, n, k, size_min, size_max)

    cost, constraints = _model(xy, k, size_min, size_max)
    result = milp(
        cost,
        integrality=np.ones(n * n, dtype=np.uint8),
        bounds=Bounds(0.0, 1.0),
        constraints=constraints,
        options={"time_limit": float(time_limit), "mip_rel_gap": 1e-6, "disp": False},
    )
    if result.status == 2:
        # Cannot happen once _check_feasible passed (any split of n into k sizes in range is a
        # feasible grouping), so this would be a solver fault worth shouting about.
        raise RuntimeError(f"HiGHS found the stratum infeasible although the sizes fit: {result.message}")
    if result.status not in (0, 1):
        raise RuntimeError(f"HiGHS stopped without a solution: {result.message}")

    bound = _dual_bound(result)
    optimal = result.status == 0
    found = _decode(result.x, n) if result.x is not None else None
    if found is not None:
        assignment, medoids = found
        objective = objective_of(xy, assignment)
    # The warm start's objective is recomputed here rather than trusted: it came from another solver.
    warm_objective = objective_of(xy, warm_start.assignment) if warm_start is not None else np.inf
    if found is None or (not optimal and warm_objective < objective):
        if warm_start is None:
            raise TimeoutError(f"no grouping found within {time_limit:g} s for n={n}, k={k}")
        assignment, medoids, objective, optimal = warm_start.assignment, warm_start.medoids, warm_objective, False
        bound = max(bound, warm_start.lower_bound)
    # HiGHS's bound is on its own objective, which differs from ours by rounding; never report a bound
    # above what we return. When optimal, the bound stays HiGHS's own (within the 1e-6 relative gap).
    bound = min(bound, objective)
    return Solution(
        assignment=assignment,
        medoids=medoids,
        objective=objective,
        lower_bound=bound,
        optimal=optimal,
        seconds=time.perf_counter() - started,
    )


def lower_bound_lp(xy: np.ndarray, k: int, size_min: int, size_max: int, time_limit: float = 60.0) -> float:
    """The LP relaxation of the model (x in [0, 1]), solved by HiGHS: a valid lower bound in metres.

    Inputs as for `solve_exact`. Result: the LP optimum. Should the time limit stop HiGHS before the
    LP is solved, the returned value is a weaker bound that is always valid: exactly n - k points are
    not medoids and each is at least its nearest-neighbour distance from its medoid, so the sum of
    the n - k smallest nearest-neighbour distances.
    Errors: ValueError as for `solve_exact`.
    """
    xy = _as_points(xy)
    n = len(xy)
    check_feasible(n, k, size_min, size_max)
    cost, constraints = _model(xy, k, size_min, size_max)
    eq, ub = constraints
    # linprog wants A_ub x <= b_ub and A_eq x == b_eq; the ranged rows of `ub` are all "<= 0" or ">= 0".
    a_ub = sp.vstack([ub.A[np.isfinite(ub.ub)], -ub.A[~np.isfinite(ub.ub)]], format="csr")
    b_ub = np.zeros(a_ub.shape[0])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=eq.A,
        b_eq=eq.ub,
        bounds=(0.0, 1.0),
        method="highs",
        options={"time_limit": float(time_limit)},
    )
    if result.status == 0:
        return float(result.fun)
    return _nearest_neighbour_bound(xy, k)


def _as_points(xy: np.ndarray) -> np.ndarray:
    points = np.asarray(xy, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"xy must have shape (n, 2), got {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("xy holds a missing or infinite coordinate")
    return points


def check_feasible(n: int, k: int, size_min: int, size_max: int) -> None:
    """Raise ValueError, saying why, when n points cannot make k groups of size_min..size_max.

    Shared by the exact solver and the heuristic, so both refuse the same strata with the same words.
    """
    if n < 1:
        raise ValueError("cannot form groups from zero points")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if size_min < 1:
        raise ValueError(f"size_min must be at least 1 (a group holds its meeting house), got {size_min}")
    if size_max < size_min:
        raise ValueError(f"size_max ({size_max}) is below size_min ({size_min})")
    if k * size_min > n:
        raise ValueError(f"infeasible: {k} groups of at least {size_min} need {k * size_min} points, only {n} given")
    if k * size_max < n:
        raise ValueError(f"infeasible: {k} groups of at most {size_max} hold {k * size_max} points, {n} given")


def _check_warm_start(warm: Solution, n: int, k: int, size_min: int, size_max: int) -> None:
    if warm.assignment.shape != (n,) or warm.medoids.shape != (k,):
        raise ValueError("warm_start does not match the stratum's size or k")
    medoids = np.unique(warm.assignment)
    sizes = np.bincount(warm.assignment, minlength=n)[medoids]
    if (
        len(medoids) != k
        or not np.array_equal(medoids, np.sort(warm.medoids))
        or not np.array_equal(warm.assignment[medoids], medoids)
        or sizes.min() < size_min
        or sizes.max() > size_max
    ):
        raise ValueError("warm_start is not a valid grouping (medoids, self-assignment or sizes)")


def _model(xy: np.ndarray, k: int, size_min: int, size_max: int) -> tuple[np.ndarray, list[LinearConstraint]]:
    """Cost vector and constraints over x flattened row-major: column i * n + j is x_ij.

    Returns [equalities, inequalities]; every inequality row is either "<= 0" or ">= 0".
    """
    n = len(xy)
    diff = xy[:, None, :] - xy[None, :, :]
    cost = np.sqrt((diff**2).sum(axis=2)).ravel()
    rows_i, cols_j = np.divmod(np.arange(n * n), n)
    diagonal = np.arange(n) * (n + 1)

    # Equalities: n assignment rows (sum_j x_ij = 1), then one row counting open groups.
    eq_rows = np.concatenate([rows_i, np.full(n, n)])
    eq_cols = np.concatenate([np.arange(n * n), diagonal])
    eq = sp.coo_array((np.ones(len(eq_rows)), (eq_rows, eq_cols)), shape=(n + 1, n * n)).tocsr()
    eq_rhs = np.concatenate([np.ones(n), [float(k)]])

    # Linking x_ij - x_jj <= 0 for i != j, one row each.
    off = rows_i != cols_j
    link_cols = np.flatnonzero(off)
    m = len(link_cols)
    link_rows = np.arange(m)
    lk_r = np.concatenate([link_rows, link_rows])
    lk_c = np.concatenate([link_cols, cols_j[off] * (n + 1)])
    lk_v = np.concatenate([np.ones(m), -np.ones(m)])

    # Capacity: sum_i x_ij - size_max x_jj <= 0 and sum_i x_ij - size_min x_jj >= 0, per medoid j.
    # The diagonal x_jj appears in the sum with +1, hence 1 - size on the diagonal.
    cap_r, cap_c, cap_v, lower, upper = [], [], [], [], []
    sizes = [(size_max, -np.inf, 0.0)]
    if size_min > 1:  # with size_min = 1 the lower row says sum_{i != j} x_ij >= 0: nothing.
        sizes.append((size_min, 0.0, np.inf))
    base = m
    for size, lo, hi in sizes:
        cap_r += [base + cols_j[off], base + np.arange(n)]
        cap_c += [link_cols, diagonal]
        cap_v += [np.ones(m), np.full(n, 1.0 - size)]
        lower.append(np.full(n, lo))
        upper.append(np.full(n, hi))
        base += n
    ub_matrix = sp.coo_array(
        (np.concatenate([lk_v, *cap_v]), (np.concatenate([lk_r, *cap_r]), np.concatenate([lk_c, *cap_c]))),
        shape=(base, n * n),
    ).tocsr()
    ub_lower = np.concatenate([np.full(m, -np.inf), *lower])
    ub_upper = np.concatenate([np.zeros(m), *upper])
    return cost, [LinearConstraint(eq, eq_rhs, eq_rhs), LinearConstraint(ub_matrix, ub_lower, ub_upper)]


def _decode(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Assignment and medoids from the solver's x, or None if it is not a clean 0/1 grouping."""
    grid = x.reshape(n, n)
    assignment = grid.argmax(axis=1)
    medoids = np.flatnonzero(np.diag(grid) > _ONE)
    if not (grid[np.arange(n), assignment] > _ONE).all() or not np.isin(assignment, medoids).all():
        return None
    return assignment.astype(np.int64), medoids.astype(np.int64)


def _dual_bound(result) -> float:
    bound = getattr(result, "mip_dual_bound", None)
    if bound is None or not np.isfinite(bound):
        return 0.0
    return max(0.0, float(bound))


def _nearest_neighbour_bound(xy: np.ndarray, k: int) -> float:
    n = len(xy)
    if n <= k:
        return 0.0
    distances = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    return float(np.sort(distances.min(axis=1))[: n - k].sum())
