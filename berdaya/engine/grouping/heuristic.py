"""A fast heuristic for one stratum of the capacitated p-median problem.

Points are houses in metres, ``k`` groups must each hold between ``size_min`` and ``size_max``
members, every group meets at one member's house (its medoid) and the objective is the sum of the
Euclidean distances from each member to its group's medoid.

The search has three layers, each cheap enough for a 3,000-family stratum:

1. *Start*: sort the points along a Hilbert curve and cut the order into ``k`` chunks of balanced
   size, so the first solution is already feasible and compact. With the "thorough" effort, strata up to
   1,000 points get a second start from k-means++ medoids (``numpy.random.default_rng(seed)``); the better
   one wins.
2. *Location-allocation* (Lloyd): given the medoids, the capacitated assignment is solved exactly as a
   min-cost flow (OR-Tools); given the groups, each medoid moves to the member with the smallest sum
   of distances. Repeat while the objective falls.
3. *Local search*: move one point to another group, or swap two points between groups, re-optimising
   the medoids of both groups, whenever that lowers the objective and keeps sizes in bounds. Because
   the assignment step is already optimal for fixed medoids, these moves only pay off through the
   medoid change, which the per-group "sum of distances" vectors make an O(group size) evaluation.
   After a local optimum the flow runs again with the new medoids; the loop ends when neither helps.
4. *Medoid swaps*: close a group and open one elsewhere (PAM), priced cheaply and re-solved on the
   groups around both places; then polish again. This is what moves groups to where they are needed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from berdaya.engine.grouping._kernels import local_search_kernel, medoids_kernel
from berdaya.engine.grouping.exact import Solution, check_feasible

# Flow costs are integers: decimetres keep rounding far below what matters for a meeting place.
_COST_SCALE = 10.0
# Candidate groups per point in the flow; the nearest few medoids carry virtually every optimal arc,
# and an infeasible sparse flow falls back to a denser one.
_FLOW_CANDIDATES = 10
# Nearest neighbours whose groups a point may move to, or swap with, in the local search.
_NEIGHBOURS = 8
_LLOYD_MAX_ITERATIONS = 50
# Lloyd stops once a full assignment gains less than this share; the local search that follows
# takes the small remaining steps far more cheaply than more min-cost flows over the whole stratum.
_LLOYD_MIN_GAIN = 0.005
_ROUNDS_MAX = 20
# Medoid swaps: groups re-solved around each end of a swap, far points priced as new medoids per
# sweep (at least), and priced swaps tried per sweep.
_REGION_GROUPS = 4
_SWAP_CANDIDATES = 100
_PRICE_BLOCK = 64


@dataclass(frozen=True)
class Effort:
    """How hard the medoid swaps and the second start work; a count of steps, so results stay deterministic.

    Measured on the bench city (147 strata, docs/benchmarks.md): "thorough" is 2 % better than "fast"
    and takes about six times as long; almost all of that time is spent in rounds of medoid swaps
    after the first, and in the k-means++ second start, which changes the total by under 0.1 %.
    """

    swap_rounds: int  # global polishes after a sweep of medoid swaps
    swap_sweeps: int  # sweeps of medoid swaps per round
    swap_trials: int  # priced swaps tried per sweep
    second_start_max_points: int  # strata up to this size also start from k-means++ medoids


EFFORTS = {
    "fast": Effort(swap_rounds=1, swap_sweeps=4, swap_trials=50, second_start_max_points=0),
    "thorough": Effort(swap_rounds=20, swap_sweeps=100, swap_trials=200, second_start_max_points=1000),
}
# Improvements smaller than this (metres) are rounding noise; ignoring them guarantees termination.
_EPS = 1e-6


def solve_heuristic(
    xy: np.ndarray,
    k: int,
    size_min: int,
    size_max: int,
    *,
    seed: int = 0,
    time_limit: float | None = None,
    effort: str = "fast",
) -> Solution:
    """Group the points of one stratum into ``k`` groups around member medoids, heuristically.

    Inputs: ``xy`` (n, 2) coordinates in metres; ``k`` the number of groups; every group gets between
    ``size_min`` and ``size_max`` members (a group always holds its medoid, so a ``size_min`` below 1
    acts as 1); ``seed`` fixes the k-means++ start (used up to 1,000 points); ``time_limit`` (seconds)
    stops the search early with the best solution so far (the first feasible solution is always finished);
    ``effort`` is "fast" (the default) or "thorough" (see ``EFFORTS``).

    Result: a ``Solution`` whose ``assignment[i]`` is the index of point ``i``'s medoid (a medoid
    points to itself), ``medoids`` the k medoid indices in group order, ``objective`` the sum of
    member-to-medoid distances, ``lower_bound`` 0.0 and ``optimal`` False. Identical inputs and seed
    give an identical result.

    Raises ``ValueError`` when the sizes cannot be met (``k * size_min > n`` or ``k * size_max < n``)
    or the input is malformed.
    """
    started = time.perf_counter()
    deadline = None if time_limit is None else started + float(time_limit)
    xy = np.ascontiguousarray(xy, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"xy must have shape (n, 2), got {xy.shape}")
    if not np.all(np.isfinite(xy)):
        raise ValueError("xy contains NaN or infinite coordinates")
    n = xy.shape[0]
    size_min_eff = max(int(size_min), 1)
    check_feasible(n, k, size_min_eff, size_max)

    if effort not in EFFORTS:
        raise ValueError(f"effort must be one of {sorted(EFFORTS)}, got {effort!r}")
    search = _Search(xy, k, size_min_eff, int(size_max), deadline, effort=EFFORTS[effort])
    starts = [_hilbert_labels(xy, k)]
    if 1 < k < n and n <= search.effort.second_start_max_points:
        starts.append(search.assign(_kmeanspp_medoids(xy, k, np.random.default_rng(seed))))
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for labels in starts:
        if best is not None and search.out_of_time():
            break
        result = search.improve(labels)
        if best is None or result[0] < best[0] - _EPS:
            best = result
    assert best is not None
    objective, labels, medoids = best
    return Solution(
        assignment=medoids[labels],
        medoids=medoids,
        objective=float(objective),
        lower_bound=0.0,
        optimal=False,
        seconds=time.perf_counter() - started,
    )


def _hilbert_labels(xy: np.ndarray, k: int) -> np.ndarray:
    """Cut the Hilbert order into k contiguous chunks whose sizes differ by at most one.

    Balanced chunks are feasible whenever the instance is: n // k >= size_min and ceil(n / k) <= size_max.
    """
    n = xy.shape[0]
    order = np.argsort(_hilbert_index(xy), kind="stable")
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    labels = np.empty(n, dtype=np.int64)
    labels[order] = np.repeat(np.arange(k), sizes)
    return labels


def _hilbert_index(xy: np.ndarray, order: int = 16) -> np.ndarray:
    """Position of each point along a Hilbert curve over its bounding square (vectorised xy2d)."""
    side = 1 << order
    low = xy.min(axis=0)
    span = float(np.max(xy.max(axis=0) - low)) or 1.0
    q = np.minimum(((xy - low) / span * (side - 1)).round().astype(np.int64), side - 1)
    x, y = q[:, 0].copy(), q[:, 1].copy()
    d = np.zeros(len(xy), dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        # Rotate the quadrant so the sub-curve is traversed in the canonical orientation.
        flip = ~ry & rx
        x = np.where(flip, side - 1 - x, x)
        y = np.where(flip, side - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s >>= 1
    return d


def _kmeanspp_medoids(xy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k distinct points chosen by k-means++ (distance-weighted) sampling."""
    n = xy.shape[0]
    chosen = [int(rng.integers(n))]
    nearest = np.hypot(*(xy - xy[chosen[0]]).T)
    for _ in range(1, k):
        weights = nearest * nearest
        total = weights.sum()
        if total <= 0:
            # Remaining points coincide with chosen ones: take any unchosen point, deterministically.
            free = np.setdiff1d(np.arange(n), chosen)
            pick = int(free[rng.integers(len(free))])
        else:
            pick = int(np.searchsorted(np.cumsum(weights), rng.random() * total, side="right"))
            pick = min(pick, n - 1)
            if nearest[pick] <= 0:
                pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.hypot(*(xy - xy[pick]).T))
    return np.array(chosen, dtype=np.int64)


class _Search:
    """State shared by the starts of one solve: the points, bounds, neighbour lists and the clock."""

    def __init__(
        self,
        xy: np.ndarray,
        k: int,
        size_min: int,
        size_max: int,
        deadline: float | None,
        *,
        neighbours: bool = True,
        effort: Effort = EFFORTS["fast"],
    ) -> None:
        self.xy = xy
        self.effort = effort
        self.x = xy[:, 0].copy()
        self.y = xy[:, 1].copy()
        self.n = xy.shape[0]
        self.k = k
        self.size_min = size_min
        self.size_max = size_max
        self.deadline = deadline
        self.neighbours: list[np.ndarray] = []
        if not neighbours:
            pass
        elif self.n > 1:
            m = min(self.n, _NEIGHBOURS + 1)
            # Query one extra so the point itself can be dropped even when duplicates tie with it.
            _, idx = cKDTree(xy).query(xy, k=m)
            idx = np.asarray(idx).reshape(self.n, m)
            self.neighbours = [row[row != i][:_NEIGHBOURS] for i, row in enumerate(idx)]
        else:
            self.neighbours = [np.empty(0, dtype=np.int64)]

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # -- location-allocation ------------------------------------------------------------------

    def improve(self, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Polish a feasible labelling, then move medoids across the stratum while that pays."""
        objective, labels, medoids = self.polish(labels)
        for _ in range(self.effort.swap_rounds):
            # Sweep until no swap pays: each swap re-solves its own neighbourhood, so the expensive
            # global polish is needed only once the swaps run dry.
            moved = False
            for _ in range(self.effort.swap_sweeps):
                if self.out_of_time():
                    break
                swapped, labels, medoids = self.medoid_swaps(labels, medoids)
                if not swapped:
                    break
                moved = True
            if not moved or self.out_of_time():
                break
            before = self.objective(labels, medoids)
            objective, labels, medoids = self.polish(labels)
            if objective >= before - _EPS:
                break
        return self.objective(labels, medoids), labels, medoids

    def objective(self, labels: np.ndarray, medoids: np.ndarray) -> float:
        """Sum of member-to-medoid distances of a labelling."""
        m = medoids[labels]
        return float(np.hypot(self.x - self.x[m], self.y - self.y[m]).sum())

    def polish(self, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Lloyd then local search from a feasible labelling, alternating until neither improves."""
        best_obj, best_labels, best_medoids = math.inf, labels, np.empty(0, dtype=np.int64)
        for _ in range(_ROUNDS_MAX):
            labels, medoids, objective = self.lloyd(labels)
            if objective < best_obj - _EPS:
                best_obj, best_labels, best_medoids = objective, labels, medoids
            elif best_medoids.size:
                # The flow could not improve the last local optimum, so searching it again is futile.
                break
            if self.out_of_time():
                break
            labels, medoids, objective = self.local_search(best_labels)
            if objective < best_obj - _EPS:
                best_obj, best_labels, best_medoids = objective, labels, medoids
            else:
                break
            if self.out_of_time():
                break
        return best_obj, best_labels, best_medoids

    def lloyd(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Alternate medoid update and exact capacitated assignment while the objective falls."""
        medoids, costs = self.medoids_of(labels)
        objective = float(costs.sum())
        for _ in range(_LLOYD_MAX_ITERATIONS):
            if self.out_of_time():
                break
            objective_before_step = objective
            new_labels = self.assign(medoids)
            new_medoids, new_costs = self.medoids_of(new_labels)
            new_objective = float(new_costs.sum())
            if new_objective >= objective - _EPS:
                break
            labels, medoids, objective = new_labels, new_medoids, new_objective
            if new_objective >= objective_before_step * (1 - _LLOYD_MIN_GAIN):
                break
        return labels, medoids, objective

    def medoids_of(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best medoid and its cost (sum of distances to its group) for every group (compiled: _kernels)."""
        return medoids_kernel(self.x, self.y, np.ascontiguousarray(labels, dtype=np.int64), self.k)

    def assign(self, medoids: np.ndarray) -> np.ndarray:
        """Optimal capacitated assignment to fixed medoids, as a min-cost flow.

        Lower bounds on group sizes become node demands: each group node absorbs ``size_min`` units and
        passes at most ``size_max - size_min`` more to the sink, which is exact without a big-M cost.
        Each medoid point has a single arc, to its own group, so it is always assigned to itself.
        """
        n, k = self.n, self.k
        is_medoid = np.zeros(n, dtype=bool)
        is_medoid[medoids] = True
        others = np.flatnonzero(~is_medoid)
        tree = cKDTree(self.xy[medoids])
        width = min(k, _FLOW_CANDIDATES)
        while True:
            if width >= k:
                cand = np.broadcast_to(np.arange(k), (len(others), k))
            else:
                _, cand = tree.query(self.xy[others], k=width)
                cand = np.asarray(cand).reshape(len(others), width)
            labels = self._solve_flow(medoids, others, cand)
            if labels is not None:
                return labels
            # The sparse graph could not meet the sizes; widen it (all medoids at worst, always feasible).
            width = min(k, width * 2)

    def _solve_flow(self, medoids: np.ndarray, others: np.ndarray, cand: np.ndarray) -> np.ndarray | None:
        n, k = self.n, self.k
        width = cand.shape[1]
        tails = np.concatenate([np.repeat(others, width), medoids])
        group_of = np.concatenate([cand.ravel(), np.arange(k)])
        dist = np.hypot(self.x[tails] - self.x[medoids[group_of]], self.y[tails] - self.y[medoids[group_of]])
        costs = np.rint(dist * _COST_SCALE).astype(np.int64)
        sink = n + k
        flow = min_cost_flow.SimpleMinCostFlow()
        point_arcs = len(tails)
        flow.add_arcs_with_capacity_and_unit_cost(tails, n + group_of, np.ones(point_arcs, dtype=np.int64), costs)
        flow.add_arcs_with_capacity_and_unit_cost(
            n + np.arange(k),
            np.full(k, sink),
            np.full(k, self.size_max - self.size_min, dtype=np.int64),
            np.zeros(k, dtype=np.int64),
        )
        supplies = np.concatenate(
            [np.ones(n, dtype=np.int64), np.full(k, -self.size_min, dtype=np.int64), [-(n - k * self.size_min)]]
        )
        flow.set_nodes_supplies(np.arange(n + k + 1), supplies)
        if flow.solve() != flow.OPTIMAL:
            return None
        used = flow.flows(np.arange(point_arcs)) > 0
        labels = np.empty(n, dtype=np.int64)
        labels[tails[used]] = group_of[used]
        return labels

    # -- medoid swaps ------------------------------------------------------------------------

    def medoid_swaps(self, labels: np.ndarray, medoids: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
        """Close one group and open another elsewhere (a PAM swap) wherever that lowers the objective.

        Lloyd and the point moves cannot change how many groups serve an area; these swaps can. Every
        (closed medoid, new medoid) pair is first priced cheaply as if groups had no size limits
        (Whitaker's fast interchange, on nearest and second-nearest medoid distances); the promising
        ones are then re-solved for real, but only on the groups around both places, where the swap
        acts. Swaps on disjoint neighbourhoods are applied in the same sweep.
        """
        k, n = self.k, self.n
        if k < 2 or k >= n:
            return False, labels, medoids
        labels, medoids = labels.copy(), medoids.copy()
        x, y = self.x, self.y
        span = min(k, _REGION_GROUPS)
        mtree = cKDTree(self.xy[medoids])
        dist, near = mtree.query(self.xy, k=2)
        d1, d2, n1 = dist[:, 0], dist[:, 1], near[:, 0]
        is_medoid = np.zeros(n, dtype=bool)
        is_medoid[medoids] = True
        # Far-from-any-medoid points are where a new medoid can gain; nearby ones are covered by the
        # medoid moves of the local search already.
        order = np.argsort(-d1, kind="stable")
        cands = order[~is_medoid[order]][: max(_SWAP_CANDIDATES, n // 5)]
        # Points sorted by nearest medoid, so per-group sums are differences of a running sum.
        by_group = np.argsort(n1, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(n1, minlength=k))])
        px, py, p1, p2 = x[by_group], y[by_group], d1[by_group], d2[by_group]
        priced = []
        for lo in range(0, len(cands), _PRICE_BLOCK):
            block = cands[lo : lo + _PRICE_BLOCK]
            dp = np.hypot(px[None, :] - x[block, None], py[None, :] - y[block, None])
            closer = np.minimum(dp, p1)
            running = np.cumsum(np.minimum(dp, p2) - closer, axis=1)
            running = np.concatenate([np.zeros((len(block), 1)), running], axis=1)
            extra = running[:, bounds[1:]] - running[:, bounds[:-1]]
            best_g = np.argmin(extra, axis=1)
            delta = closer.sum(axis=1) - p1.sum() + extra[np.arange(len(block)), best_g]
            for t in np.flatnonzero(delta < -_EPS):
                priced.append((float(delta[t]), int(block[t]), int(best_g[t])))
        priced.sort()
        _, around_medoid = mtree.query(self.xy[medoids], k=span)
        around_medoid = np.asarray(around_medoid).reshape(k, span)
        touched = np.zeros(k, dtype=bool)
        moved = False
        for _, p, g in priced[: self.effort.swap_trials]:
            if self.out_of_time():
                break
            if is_medoid[p]:
                continue
            _, around_p = mtree.query(self.xy[p], k=span)
            groups = np.unique(np.concatenate([around_medoid[g], np.atleast_1d(around_p), [g]]))
            if touched[groups].any():
                continue
            pts = np.flatnonzero(np.isin(labels, groups))
            current = float(np.hypot(x[pts] - x[medoids[labels[pts]]], y[pts] - y[medoids[labels[pts]]]).sum())
            new_medoids = np.where(groups == g, p, medoids[groups])
            sub = _Search(self.xy[pts], len(groups), self.size_min, self.size_max, self.deadline, neighbours=False)
            sub_labels, sub_medoids, sub_obj = sub.lloyd(sub.assign(np.searchsorted(pts, new_medoids)))
            if sub_obj >= current - _EPS:
                continue
            sub.neighbours = [self.neighbours_within(pts, i) for i in range(len(pts))]
            ls_labels, ls_medoids, ls_obj = sub.local_search(sub_labels)
            if ls_obj < sub_obj:
                sub_labels, sub_medoids, sub_obj = ls_labels, ls_medoids, ls_obj
            is_medoid[medoids[groups]] = False
            labels[pts] = groups[sub_labels]
            medoids[groups] = pts[sub_medoids]
            is_medoid[medoids[groups]] = True
            touched[groups] = True
            moved = True
        return moved, labels, medoids

    def neighbours_within(self, pts: np.ndarray, i: int) -> np.ndarray:
        """Neighbours of local point i of a sub-search, as local indices, kept only inside ``pts``."""
        global_near = self.neighbours[pts[i]]
        pos = np.searchsorted(pts, global_near)
        pos = np.minimum(pos, len(pts) - 1)
        return pos[pts[pos] == global_near]

    # -- local search -------------------------------------------------------------------------

    def local_search(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Relocate and swap moves with medoid re-optimisation, to a local optimum (compiled: _kernels)."""
        labels = np.ascontiguousarray(labels, dtype=np.int64).copy()
        local_search_kernel(
            self.x, self.y, labels, self.k, self.size_min, self.size_max, self.neighbour_matrix(), _EPS
        )
        medoids, _costs = self.medoids_of(labels)
        # Recompute from scratch so floating drift in the incremental sums never reaches the caller.
        objective = float(np.hypot(self.x - self.x[medoids[labels]], self.y - self.y[medoids[labels]]).sum())
        return labels, medoids, objective

    def neighbour_matrix(self) -> np.ndarray:
        """The neighbour lists as an (n, m) array padded with -1, the form the compiled search takes."""
        width = max((len(row) for row in self.neighbours), default=0)
        matrix = np.full((self.n, max(width, 1)), -1, dtype=np.int64)
        for i, row in enumerate(self.neighbours):
            matrix[i, : len(row)] = row
        return matrix
