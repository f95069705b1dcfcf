"""The relocate/swap local search of the heuristic, compiled with Numba.

It is pure index arithmetic over a few arrays, the one part of the heuristic that NumPy cannot
vectorise (each move changes what the next one sees), and in Python loops it took about two thirds
of a city run (docs/benchmarks.md). Compiled, the same moves in the same order run about a hundred
times faster. ``cache=True`` keeps the machine code on disk, so process-pool workers and later runs
do not compile again.

Groups are rows of a padded member matrix: ``mem[g, :cnt[g]]`` are the points of group g, and
``sums[g, p]`` is the sum of distances from member p to the whole group (its cost as the medoid).
A removed member's slot is filled by the group's last member, so rows stay dense.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _dist(x, y, i, j):  # type: ignore[no-untyped-def]
    return math.sqrt((x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2)


@njit(cache=True)
def _row_min(sums, cnt, g):  # type: ignore[no-untyped-def]
    best = math.inf
    for p in range(cnt[g]):
        if sums[g, p] < best:
            best = sums[g, p]
    return best


@njit(cache=True)
def local_search_kernel(x, y, labels, k, size_min, size_max, neighbours, eps):  # type: ignore[no-untyped-def]
    """Relocate and swap moves with medoid re-optimisation until neither improves; labels change in place.

    ``neighbours`` is (n, m) with -1 padding. A point is re-examined only after a group it could
    affect changed (don't-look bits on a move clock). Returns the number of moves applied.
    """
    n = x.shape[0]
    width = size_max
    mem = np.full((k, width), -1, np.int64)
    cnt = np.zeros(k, np.int64)
    pos = np.empty(n, np.int64)
    for i in range(n):
        g = labels[i]
        mem[g, cnt[g]] = i
        pos[i] = cnt[g]
        cnt[g] += 1
    sums = np.zeros((k, width))
    for g in range(k):
        for p in range(cnt[g]):
            s = 0.0
            for q in range(cnt[g]):
                s += _dist(x, y, mem[g, p], mem[g, q])
            sums[g, p] = s
    costs = np.empty(k)
    for g in range(k):
        costs[g] = _row_min(sums, cnt, g)

    m = neighbours.shape[1]
    da = np.empty(width)
    dia = np.empty(width)
    dja = np.empty(width)
    dib = np.empty(width)
    djb = np.empty(width)
    clock = 1
    changed = np.ones(k, np.int64)
    relocate_seen = np.zeros(n, np.int64)
    swap_seen = np.zeros(n, np.int64)
    moves = 0
    improved = True
    while improved:
        improved = False
        # Relocation: point i leaves group a for the best neighbouring group b with room.
        for i in range(n):
            a = labels[i]
            if cnt[a] <= size_min:
                continue
            latest = changed[a]
            other = False
            for t in range(m):
                j = neighbours[i, t]
                if j < 0:
                    break
                b = labels[j]
                if b != a:
                    other = True
                    if changed[b] > latest:
                        latest = changed[b]
            if not other or latest <= relocate_seen[i]:
                continue
            relocate_seen[i] = clock
            ca = cnt[a]
            pi = pos[i]
            new_a = math.inf
            for p in range(ca):
                da[p] = _dist(x, y, i, mem[a, p])
                if p != pi and sums[a, p] - da[p] < new_a:
                    new_a = sums[a, p] - da[p]
            best_gain = math.inf
            best_b = -1
            for t in range(m):
                j = neighbours[i, t]
                if j < 0:
                    break
                b = labels[j]
                if b == a or cnt[b] >= size_max:
                    continue
                seen = False
                for t2 in range(t):
                    if labels[neighbours[i, t2]] == b:
                        seen = True
                        break
                if seen:
                    continue
                total = 0.0
                low = math.inf
                for p in range(cnt[b]):
                    d = _dist(x, y, i, mem[b, p])
                    total += d
                    if sums[b, p] + d < low:
                        low = sums[b, p] + d
                if total < low:
                    low = total
                if low - costs[b] < best_gain:
                    best_gain = low - costs[b]
                    best_b = b
            if best_b >= 0 and new_a - costs[a] + best_gain < -eps:
                b = best_b
                for p in range(ca):
                    sums[a, p] -= da[p]
                last = ca - 1
                moved = mem[a, last]
                mem[a, pi] = moved
                sums[a, pi] = sums[a, last]
                pos[moved] = pi
                mem[a, last] = -1
                cnt[a] -= 1
                cb = cnt[b]
                total = 0.0
                for p in range(cb):
                    d = _dist(x, y, i, mem[b, p])
                    sums[b, p] += d
                    total += d
                mem[b, cb] = i
                sums[b, cb] = total
                pos[i] = cb
                cnt[b] += 1
                costs[a] = _row_min(sums, cnt, a)
                costs[b] = _row_min(sums, cnt, b)
                labels[i] = b
                clock += 1
                changed[a] = clock
                changed[b] = clock
                moves += 1
                improved = True
        # Swap: i in a and a nearby j in b trade places; sizes stay, so bounds always hold.
        for i in range(n):
            since = swap_seen[i]
            swap_seen[i] = clock
            for t in range(m):
                j = neighbours[i, t]
                if j < 0:
                    break
                a = labels[i]
                b = labels[j]
                if a == b:
                    continue
                last_change = changed[a] if changed[a] > changed[b] else changed[b]
                if last_change <= since:
                    continue
                if last_change <= swap_seen[j]:
                    # A pair seen from j's side after its groups last changed need not be seen again.
                    mutual = False
                    for t2 in range(m):
                        if neighbours[j, t2] == i:
                            mutual = True
                            break
                    if mutual:
                        continue
                ca = cnt[a]
                cb = cnt[b]
                pi = pos[i]
                pj = pos[j]
                dij = _dist(x, y, i, j)
                sum_ja = 0.0
                swap_a = math.inf
                for p in range(ca):
                    dia[p] = _dist(x, y, i, mem[a, p])
                    dja[p] = _dist(x, y, j, mem[a, p])
                    sum_ja += dja[p]
                    if p != pi and sums[a, p] - dia[p] + dja[p] < swap_a:
                        swap_a = sums[a, p] - dia[p] + dja[p]
                if sum_ja - dij < swap_a:
                    swap_a = sum_ja - dij
                sum_ib = 0.0
                swap_b = math.inf
                for p in range(cb):
                    dib[p] = _dist(x, y, i, mem[b, p])
                    djb[p] = _dist(x, y, j, mem[b, p])
                    sum_ib += dib[p]
                    if p != pj and sums[b, p] - djb[p] + dib[p] < swap_b:
                        swap_b = sums[b, p] - djb[p] + dib[p]
                if sum_ib - dij < swap_b:
                    swap_b = sum_ib - dij
                if swap_a + swap_b - costs[a] - costs[b] < -eps:
                    for p in range(ca):
                        sums[a, p] += dja[p] - dia[p]
                    for p in range(cb):
                        sums[b, p] += dib[p] - djb[p]
                    mem[a, pi] = j
                    sums[a, pi] = sum_ja - dij
                    mem[b, pj] = i
                    sums[b, pj] = sum_ib - dij
                    pos[j] = pi
                    pos[i] = pj
                    costs[a] = _row_min(sums, cnt, a)
                    costs[b] = _row_min(sums, cnt, b)
                    labels[i] = b
                    labels[j] = a
                    clock += 1
                    changed[a] = clock
                    changed[b] = clock
                    swap_seen[i] = clock
                    moves += 1
                    improved = True
    return moves


@njit(cache=True)
def medoids_kernel(x, y, labels, k):  # type: ignore[no-untyped-def]
    """Each group's medoid (the member with the least sum of distances to the others; the lowest index
    wins a tie) and that sum, for a labelling where every group has at least one member."""
    n = x.shape[0]
    cnt = np.zeros(k, np.int64)
    for i in range(n):
        cnt[labels[i]] += 1
    start = np.zeros(k + 1, np.int64)
    for g in range(k):
        start[g + 1] = start[g] + cnt[g]
    order = np.empty(n, np.int64)
    fill = start[:k].copy()
    for i in range(n):  # points in index order within each group, so ties go to the lowest index
        g = labels[i]
        order[fill[g]] = i
        fill[g] += 1
    medoids = np.empty(k, np.int64)
    costs = np.empty(k)
    for g in range(k):
        best = math.inf
        best_i = -1
        for p in range(start[g], start[g + 1]):
            s = 0.0
            for q in range(start[g], start[g + 1]):
                s += _dist(x, y, order[p], order[q])
            if s < best:
                best = s
                best_i = order[p]
        medoids[g] = best_i
        costs[g] = best
    return medoids, costs
