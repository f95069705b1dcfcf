"""Forming KUBEs from eligible families (spec §5): strata per village and business type, each solved
exactly when small and by the heuristic when large, leftovers attached or left unplaced with a reason.

Framework-free. Work is split per stratum and run through a `concurrent.futures.Executor` the caller
may pass (a process pool by default for large runs; any executor with `submit`, such as a Dask
client's, works the same way).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np

# Imported here, not in the worker function: forked pool workers then inherit the loaded solvers
# (SciPy, OR-Tools, Numba: about a second of imports) instead of each importing them again.
from berdaya.engine.grouping.exact import lower_bound_lp, solve_exact
from berdaya.engine.grouping.geo import in_indonesia, project_m, rt_rw_proxy
from berdaya.engine.grouping.heuristic import solve_heuristic
from berdaya.engine.grouping.strata import Stratum, plan_village

UNPLACED_REASONS = {
    "DUPLICATE_NO_KK": "No KK yang sama sudah ada di baris lain",
    "NO_VILLAGE": "kode wilayah kosong",
    "BAD_COORDINATES": "koordinat kosong, (0, 0) atau di luar Indonesia, sementara keluarga lain di desa ini "
    "berkoordinat",
    "NO_LOCATION": "tidak ada koordinat maupun RT/RW",
    "VILLAGE_TOO_SMALL": "keluarga di desa/kelurahan ini kurang dari ukuran minimum kelompok",
    "NO_ROOM": "tidak ada kelompok di desa/kelurahan ini yang masih muat",
}


@dataclass(frozen=True)
class GroupingOptions:
    size_min: int
    size_max: int
    target: int = 10
    seed: int = 0
    time_limit: float = 10.0  # seconds per stratum for the exact solver
    # Strata up to exact_max families are solved exactly (MIP), up to bound_max get an LP lower bound.
    # On the bench city (docs/benchmarks.md) the MIP up to 30 costs nothing measurable and proves those
    # strata optimal; LP bounds from 31 to 100 families added about 70 % to the run.
    exact_max: int = 30
    bound_max: int = 30
    effort: str = "fast"  # the heuristic's effort on larger strata: "fast" or "thorough" (heuristic.EFFORTS)


class FamilyColumns(Sequence):
    """Families as columns (equal-length lists or arrays keyed by column name), read as rows on demand.

    `form_groups` takes this wherever it takes a list of dicts. A million families as dicts weigh over
    a gigabyte, and forked pool workers carry the caller's heap with them; as columns they weigh tens
    of megabytes. Missing columns read as None.
    """

    def __init__(self, columns: Mapping[str, Sequence]) -> None:
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns differ in length: {sorted(lengths)}")
        self._columns = dict(columns)
        self._length = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if not -self._length <= index < self._length:
            raise IndexError(index)
        return _ColumnRow(self._columns, index)


class _ColumnRow(dict):
    """One family of a FamilyColumns: a dict whose absent columns read as None."""

    def __init__(self, columns: Mapping[str, Sequence], index: int) -> None:
        super().__init__((name, _plain(values[index])) for name, values in columns.items())

    def __missing__(self, key: str) -> None:
        return None


def _plain(value):
    """NumPy scalars become Python values, so output rows serialise like the caller's own."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class GroupingResult:
    groups: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def _solve(xy: np.ndarray, k: int, options: GroupingOptions) -> tuple:
    """One stratum: (assignment, medoids, objective, lower bound or None, optimal). Top level: picklable."""
    n = len(xy)
    bound: float | None
    if n <= options.exact_max:
        solution = solve_exact(xy, k, options.size_min, options.size_max, time_limit=options.time_limit)
        bound = solution.lower_bound
    else:
        solution = solve_heuristic(
            xy, k, options.size_min, options.size_max, seed=options.seed, effort=options.effort
        )
        bound = (
            lower_bound_lp(xy, k, options.size_min, options.size_max, time_limit=options.time_limit)
            if n <= options.bound_max
            else None
        )
    return solution.assignment, solution.medoids, float(solution.objective), bound, bool(solution.optimal)


def form_groups(
    families: Sequence[dict],
    options: GroupingOptions,
    *,
    executor: Executor | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> GroupingResult:
    """Propose KUBEs for `families` (dicts with no_kk, kode_wilayah, lat, lon, keahlian, rt, rw).

    Every family appears once, in a group or unplaced with a reason. Deterministic for a seed,
    whatever the executor. `executor` is any `concurrent.futures.Executor` (a Dask client's
    `get_executor()` spreads a national run over a cluster); without one, `workers > 1` starts a
    process pool. `progress(done, total)` is told after each stratum.
    """
    started = time.perf_counter()
    own_pool = _early_pool(workers) if executor is None and workers > 1 and len(families) > 1 else None
    try:
        return _form(families, options, own_pool or executor, workers, progress, started)
    finally:
        if own_pool is not None:
            own_pool.shutdown()


def _early_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool whose workers exist before this call builds anything big.

    Forked workers carry their parent's heap as it is at the fork; the pool forks them all at its
    first task, so a throw-away task now keeps the strata, indexes and results out of them.
    """
    pool = ProcessPoolExecutor(max_workers=workers)
    pool.submit(int).result()
    return pool


def _form(families, options, executor, workers, progress, started) -> GroupingResult:
    result = GroupingResult()
    seen: set[str] = set()
    by_village: dict[str, list[int]] = {}
    for index, family in enumerate(families):
        no_kk = str(family.get("no_kk") or "")
        if no_kk in seen:
            result.unplaced.append(_unplaced(family, "DUPLICATE_NO_KK"))
            continue
        seen.add(no_kk)
        village = str(family.get("kode_wilayah") or "")
        if not village:
            result.unplaced.append(_unplaced(family, "NO_VILLAGE"))
            continue
        by_village.setdefault(village, []).append(index)

    tasks: list[tuple[Stratum, np.ndarray, list[int]]] = []
    leftovers: dict[str, tuple[list[int], np.ndarray, dict[int, int], bool]] = {}
    for village in sorted(by_village):
        indices, positions, proxy = _locate(families, by_village[village], result)
        if len(indices) < options.size_min:
            result.unplaced += [_unplaced(families[i], "VILLAGE_TOO_SMALL") for i in indices]
            continue
        row_of = {family_index: row for row, family_index in enumerate(indices)}
        types = [_business_type(families[i]) for i in indices]
        strata, rest = plan_village(
            village, types, indices, target=options.target, size_min=options.size_min, size_max=options.size_max
        )
        for stratum in strata:
            rows = [row_of[i] for i in stratum.indices]
            tasks.append((stratum, positions[rows], rows))
        leftovers[village] = (rest, positions, row_of, proxy)

    solutions = _run(tasks, options, executor, workers, progress or (lambda done, total: None))
    village_groups: dict[str, list[dict]] = {}
    bound_total, bound_covered = 0.0, True
    for (stratum, xy, _rows), (assignment, medoids, _objective, bound, optimal) in zip(tasks, solutions, strict=True):
        if bound is None:
            bound_covered = False
        else:
            bound_total += bound
        for number, medoid in enumerate(sorted(medoids, key=lambda m: stratum.indices[m]), start=1):
            members = [i for i in range(len(xy)) if assignment[i] == medoid]
            group = {
                "group_id": f"{stratum.village}-{stratum.business_type}-{number:03d}",
                "kode_wilayah": stratum.village,
                "business_type": stratum.business_type,
                "mixed": stratum.mixed,
                "meeting_index": stratum.indices[medoid],
                "member_indices": [stratum.indices[i] for i in members],
                "distances": [float(np.hypot(*(xy[i] - xy[medoid]))) for i in members],
                "xy": xy[members],
                "optimal": optimal,
            }
            village_groups.setdefault(stratum.village, []).append(group)
    _attach_leftovers(families, leftovers, village_groups, options, result)
    proxy_villages = {v for v, (_r, _p, _m, proxy) in leftovers.items() if proxy}
    _write_out(families, village_groups, proxy_villages, result)
    # Exact distances for the figures; the member rows carry them rounded to 10 cm.
    distances = np.array([d for g in village_groups.values() for group in g for d in group["distances"]])
    objective = float(distances.sum())
    result.summary = {
        "families": len(families),
        "groups": len(result.groups),
        "placed": len(result.members),
        "unplaced": len(result.unplaced),
        "unplaced_by_reason": dict(Counter(u["reason_code"] for u in result.unplaced)),
        "mixed_groups": sum(1 for g in result.groups if g["mixed"]),
        "size_histogram": dict(sorted(Counter(g["size"] for g in result.groups).items())),
        "objective_m": round(objective, 1),
        "mean_distance_m": round(float(distances.mean()), 1) if len(distances) else 0.0,
        "p90_distance_m": round(float(np.percentile(distances, 90)), 1) if len(distances) else 0.0,
        "max_distance_m": round(float(distances.max()), 1) if len(distances) else 0.0,
        # The bound covers the solved strata only; leftovers attached afterwards add to the objective.
        "lower_bound_m": round(bound_total, 1) if bound_covered else None,
        "gap": (round((sum(s[2] for s in solutions) - bound_total) / bound_total, 6)
                if bound_covered and bound_total > 0 else None),
        "strata": len(tasks),
        "strata_exact": sum(1 for s in solutions if s[4]),
        "proxy_villages": sorted(proxy_villages),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return result


def _run(tasks, options, executor, workers, progress) -> list[tuple]:
    total = len(tasks)
    if executor is None and (workers <= 1 or total <= 1):
        solutions = []
        for done, (stratum, xy, _) in enumerate(tasks, start=1):
            solutions.append(_solve(xy, stratum.k, options))
            progress(done, total)
        return solutions
    pool = executor or ProcessPoolExecutor(max_workers=workers)
    try:
        # The largest strata go out first, so the pool does not end waiting on one big latecomer.
        order = sorted(range(total), key=lambda i: -len(tasks[i][1]))
        futures = {i: pool.submit(_solve, tasks[i][1], tasks[i][0].k, options) for i in order}
        for done, _future in enumerate(as_completed(futures.values()), start=1):
            progress(done, total)
        # Results are taken in stratum order, so the proposal does not depend on who finished first.
        return [futures[i].result() for i in range(total)]
    finally:
        if executor is None:
            pool.shutdown()


def _unplaced(family: dict, code: str) -> dict:
    return {"no_kk": family.get("no_kk"), "kode_wilayah": family.get("kode_wilayah") or "",
            "reason_code": code, "reason": UNPLACED_REASONS[code]}


def _business_type(family: dict) -> str | None:
    value = (family.get("keahlian") or "").strip().lower()
    return value or None


def _coordinate(family: dict) -> tuple[float, float] | None:
    raw_lat, raw_lon = family.get("lat"), family.get("lon")
    if raw_lat is None or raw_lon is None or raw_lat == "" or raw_lon == "":
        return None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except (TypeError, ValueError):
        return None
    if (lat == 0 and lon == 0) or not in_indonesia(lat, lon) or np.isnan(lat) or np.isnan(lon):
        return None
    return lat, lon


def _locate(families, indices: list[int], result: GroupingResult) -> tuple[list[int], np.ndarray, bool]:
    """Positions for one village: metres if any family has coordinates, else the RT/RW stand-in."""
    coords = {i: c for i in indices if (c := _coordinate(families[i])) is not None}
    with_coords = [i for i in indices if i in coords]
    if with_coords:
        result.unplaced += [_unplaced(families[i], "BAD_COORDINATES") for i in indices if i not in coords]
        lat = np.array([coords[i][0] for i in with_coords])
        lon = np.array([coords[i][1] for i in with_coords])
        return with_coords, project_m(lat, lon), False
    located = [i for i in indices if (families[i].get("rt") or families[i].get("rw"))]
    result.unplaced += [_unplaced(families[i], "NO_LOCATION") for i in indices if i not in set(located)]
    positions = rt_rw_proxy([families[i].get("rt") for i in located], [families[i].get("rw") for i in located])
    return located, positions, True


def _attach_leftovers(families, leftovers, village_groups, options: GroupingOptions, result) -> None:
    """Rare-type families join the nearest group of their village with room, flagged mixed."""
    for village, (rest, positions, row_of, _proxy) in leftovers.items():
        groups = village_groups.get(village, [])
        for index in rest:
            point = positions[row_of[index]]
            best = None
            for group in groups:
                if len(group["member_indices"]) >= options.size_max:
                    continue
                meeting = positions[row_of[group["meeting_index"]]]
                distance = float(np.hypot(*(point - meeting)))
                if best is None or distance < best[0]:
                    best = (distance, group)
            if best is None:
                result.unplaced.append(_unplaced(families[index], "NO_ROOM"))
                continue
            distance, group = best
            group["member_indices"].append(index)
            group["distances"].append(distance)
            group["xy"] = np.vstack([group["xy"], point])
            group["mixed"] = True


def _write_out(families, village_groups, proxy_villages, result) -> None:
    for village in sorted(village_groups):
        for group in village_groups[village]:
            xy = group["xy"]
            pairs = xy[:, None, :] - xy[None, :, :]
            diameter = float(np.max(np.hypot(pairs[..., 0], pairs[..., 1]))) if len(xy) > 1 else 0.0
            members = group["member_indices"]
            meeting = families[group["meeting_index"]]
            lats = [float(families[i]["lat"]) for i in members] if village not in proxy_villages else []
            lons = [float(families[i]["lon"]) for i in members] if village not in proxy_villages else []
            result.groups.append({
                "group_id": group["group_id"],
                "kode_wilayah": village,
                "business_type": group["business_type"],
                "size": len(members),
                "mixed": group["mixed"],
                "meeting_no_kk": meeting["no_kk"],
                "centroid_lat": round(float(np.mean(lats)), 6) if lats else None,
                "centroid_lon": round(float(np.mean(lons)), 6) if lons else None,
                "diameter_m": round(diameter, 1),
            })
            for index, distance in zip(members, group["distances"], strict=True):
                result.members.append({"group_id": group["group_id"], "no_kk": families[index]["no_kk"],
                                       "distance_m": round(distance, 1)})
