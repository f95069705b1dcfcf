"""Benchmark: KUBE group formation (spec §5) against the exact MIP and against k-means-constrained.

    python bench/grouping.py [--quick] [--million] [--rules permensos-2-2019] [--seed 1]
                             [--families 30000] [--villages 40] [--exact-strata 60]
                             [--exact-time-limit 30] [--workers 2] [--json FILE]

Synthetic, seeded data (``numpy.random.default_rng``): villages of 50 to 3,000 families living
in clustered hamlets (plus a few scattered houses), four business types whose mix varies by
village and hamlet; a "city" of 30,000 families in 40 villages (``--quick``: 6,000 in 10). Every
child regenerates the same data from the seed, so nothing heavy crosses a process boundary.

In one run, each variant in a fresh child process measured by ``os.wait4`` (wall time, peak RSS):

(1) exact vs heuristic: ``solve_exact`` (HiGHS MIP, time limit) and ``solve_heuristic`` on up to
    ``--exact-strata`` city strata of at most 200 families (spread over the sizes): the median and
    maximum gap of the heuristic to the proven optimum (strata where the MIP proved optimality only);
(2) peer baseline: ``KMeansConstrained(n_clusters=k, size_min, size_max, n_init=10,
    random_state=seed)`` on every stratum of the city, coordinates in metres (``project_m``), the same
    ``k`` as ours (``group_count`` via ``plan_village``). Both objectives are recomputed the same way:
    the sum over members of the distance to the group's medoid (the member with the smallest sum of
    distances to the others). Our side is ``solve_heuristic`` on the same strata; both run
    sequentially in one process over the whole city, so the speed ratio is like for like;
(3) timings: a 3,000-family village through ``form_groups`` (workers=1), one 3,000-family stratum
    through ``solve_heuristic``, the city through ``form_groups`` with ``--workers`` (default 2), and,
    with ``--million``, 1,000,000 families in 400 villages of about 2,500, projected linearly in the
    number of villages to 10,000,000.

Peak memory per worker is the child's ``RUSAGE_CHILDREN`` maximum after the process pool has been
joined (the largest pool worker); the parent's ``os.wait4`` figure covers the whole process tree.
The parent imports nothing heavy (stdlib only). Constraint violations (group sizes out of bounds,
groups spanning two villages, families lost or placed twice, groups not ``k`` per stratum) are
counted for every variant; the target is zero.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script (python bench/NAME.py): its folder is on sys.path.
from machine import machine_info as shared_machine_info  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

# Issue targets.
TARGET_MEDIAN_GAP = 0.02
TARGET_NO_WORSE_SHARE = 0.95
TARGET_SPEEDUP_VS_KMC = 20.0
TARGET_VILLAGE_SECONDS = 1.0
TARGET_CITY_SECONDS = 5.0
TARGET_WORKER_MB = 500.0

BUSINESS_TYPES = ("pertanian", "perikanan", "perdagangan", "kerajinan")
TYPE_WEIGHTS = (3.0, 2.0, 1.5, 0.7)  # Dirichlet mean of the village mix: farming first, crafts rare
CITY_CENTRE = (-0.0263, 109.3425)  # Pontianak
VILLAGE_SPACING_M = 6_000.0
METRES_PER_DEGREE = 111_195.0
MILLION_FAMILIES, MILLION_VILLAGE = 1_000_000, 2_500


# ---------------------------------------------------------------------------
# synthetic data (numpy imported inside: the parent stays light)


@dataclass(frozen=True)
class CitySpec:
    families: int
    villages: int
    seed: int
    min_village: int = 50
    max_village: int = 3_000
    flat: bool = False  # all villages about `families / villages` (the million run) instead of 50..3,000


def village_sizes(spec: CitySpec) -> list[int]:
    """Sizes summing to ``spec.families``: a geometric spread from 50 to 3,000, or flat ±20 %."""
    import numpy as np

    rng = np.random.default_rng([spec.seed, 1])
    v = spec.villages
    if spec.flat:
        mean = spec.families / v
        sizes = np.round(mean * rng.uniform(0.8, 1.2, v)).astype(np.int64)
        lo, hi = int(mean * 0.8), int(mean * 1.2) + 1
    else:
        lo, hi = spec.min_village, spec.max_village
        sizes = np.geomspace(lo, hi, v)
        if v > 2:  # keep the extremes, scale the rest to the total
            middle = sizes[1:-1] * (spec.families - lo - hi) / sizes[1:-1].sum()
            sizes[1:-1] = np.clip(middle, lo, hi)
        sizes = np.round(sizes).astype(np.int64)
        rng.shuffle(sizes)
    diff = spec.families - int(sizes.sum())
    i, limit = 0, 100 * v * max(1, abs(diff))
    while diff != 0:  # one family at a time, villages in turn, within bounds
        step = 1 if diff > 0 else -1
        if lo <= sizes[i % v] + step <= hi:
            sizes[i % v] += step
            diff -= step
        i += 1
        if i > limit:
            raise ValueError(f"cannot fit {spec.families} families into {v} villages of {lo}..{hi}")
    return [int(s) for s in sizes]


def village_code(v: int) -> str:
    return f"61.71.{v // 100 + 1:02d}.{1001 + v % 100:04d}"


def make_city(spec: CitySpec) -> dict[str, Any]:
    """Columns of the synthetic families: village code, lat, lon, business type, RT, RW, No KK."""
    import numpy as np

    sizes = village_sizes(spec)
    side = int(np.ceil(np.sqrt(len(sizes))))
    lat0, lon0 = CITY_CENTRE
    cos0 = np.cos(np.radians(lat0))
    parts: dict[str, list[Any]] = {"village": [], "lat": [], "lon": [], "type": [], "rt": [], "rw": []}
    for v, n in enumerate(sizes):
        rng = np.random.default_rng([spec.seed, 2, v])
        # Village centre on a grid, hamlets within ~2 km, houses around each hamlet.
        cx = (v % side - side / 2) * VILLAGE_SPACING_M
        cy = (v // side - side / 2) * VILLAGE_SPACING_M
        hamlets = int(np.clip(n // 200 + 2, 2, 15))
        angle = rng.uniform(0, 2 * np.pi, hamlets)
        radius = 2_000.0 * np.sqrt(rng.uniform(0, 1, hamlets))
        hx, hy = cx + radius * np.cos(angle), cy + radius * np.sin(angle)
        spread = rng.uniform(60.0, 250.0, hamlets)
        weight = rng.dirichlet(np.full(hamlets, 2.0))
        village_mix = rng.dirichlet(np.array(TYPE_WEIGHTS) * 2.0)
        hamlet_mix = np.array([rng.dirichlet(village_mix * 8.0 + 1e-3) for _ in range(hamlets)])
        home = rng.choice(hamlets, size=n, p=weight)
        x = hx[home] + rng.normal(0, 1, n) * spread[home]
        y = hy[home] + rng.normal(0, 1, n) * spread[home]
        scattered = rng.uniform(0, 1, n) < 0.05  # farmhouses between the hamlets
        x[scattered] = cx + rng.uniform(-2_500, 2_500, scattered.sum())
        y[scattered] = cy + rng.uniform(-2_500, 2_500, scattered.sum())
        cumulative = hamlet_mix[home].cumsum(axis=1)
        types = (rng.uniform(0, 1, n)[:, None] > cumulative).sum(axis=1).clip(0, len(BUSINESS_TYPES) - 1)
        parts["village"].append(np.full(n, v, dtype=np.int32))
        parts["lat"].append(lat0 + y / METRES_PER_DEGREE)
        parts["lon"].append(lon0 + x / (METRES_PER_DEGREE * cos0))
        parts["type"].append(types.astype(np.int8))
        parts["rw"].append((home + 1).astype(np.int16))
        parts["rt"].append(rng.integers(1, 11, n).astype(np.int16))
    city = {key: np.concatenate(value) for key, value in parts.items()}
    city["sizes"] = sizes
    city["codes"] = [village_code(v) for v in range(len(sizes))]
    return city


def families_of(city: dict[str, Any]):
    """What ``form_groups`` takes, as columns (``FamilyColumns``): No KK, kode wilayah, lat, lon, keahlian, RT, RW.

    Columns rather than a list of dicts: a million dicts weigh over a gigabyte, and the pool workers,
    forked from this process, would be measured carrying them (their pages count in ``ru_maxrss``).
    """
    import numpy as np

    from berdaya.engine.grouping.formation import FamilyColumns

    n = len(city["village"])
    return FamilyColumns({
        "no_kk": (np.arange(n, dtype=np.int64) + 6171_0000_0000_0000).astype(str),
        "kode_wilayah": np.array(city["codes"])[city["village"]],
        "lat": city["lat"],
        "lon": city["lon"],
        "keahlian": np.array(BUSINESS_TYPES)[city["type"]],
        "rt": np.char.zfill(city["rt"].astype(str), 3),
        "rw": np.char.zfill(city["rw"].astype(str), 3),
    })  # fmt: skip


def city_strata(city: dict[str, Any], sizes: dict[str, int]) -> list[dict[str, Any]]:
    """The strata ``form_groups`` would solve: per village and business type, positions in metres, k."""
    import numpy as np

    from berdaya.engine.grouping.geo import project_m
    from berdaya.engine.grouping.strata import plan_village

    order = np.argsort(city["village"], kind="stable")
    bounds = np.searchsorted(city["village"][order], np.arange(len(city["sizes"]) + 1))
    strata = []
    for v, code in enumerate(city["codes"]):
        rows = order[bounds[v] : bounds[v + 1]]
        if len(rows) < sizes["size_min"]:
            continue
        xy = project_m(city["lat"][rows], city["lon"][rows])
        types = [BUSINESS_TYPES[t] for t in city["type"][rows].tolist()]
        plan, _rest = plan_village(code, types, list(range(len(rows))), **sizes)
        for stratum in plan:
            strata.append({
                "village": code, "type": stratum.business_type, "k": stratum.k,
                "xy": xy[stratum.indices], "n": len(stratum.indices),
            })  # fmt: skip
    return strata


def group_sizes(path: Path) -> dict[str, int]:
    """``size_min``, ``size_max``, ``target`` of a rule set (a shipped name or a TOML path)."""
    toml = Path(path)
    if toml.suffix != ".toml":
        toml = REPO / "berdaya" / "engine" / "rulesets" / f"{path}.toml"
    group = tomllib.loads(toml.read_text(encoding="utf-8"))["group"]
    return {"size_min": int(group["size_min"]), "size_max": int(group["size_max"]), "target": int(group["target"])}


# ---------------------------------------------------------------------------
# objectives and checks shared by every variant


def medoid_objective(xy, labels) -> tuple[float, list[int]]:
    """Sum of member-to-medoid distances (the medoid: the member with the least sum), and group sizes."""
    import numpy as np

    total, counts = 0.0, []
    for label in np.unique(labels):
        pts = xy[labels == label]
        d = np.hypot(pts[:, None, 0] - pts[None, :, 0], pts[:, None, 1] - pts[None, :, 1])
        total += float(d.sum(axis=1).min())
        counts.append(len(pts))
    return total, counts


def size_violations(counts: list[int], k: int, sizes: dict[str, int]) -> dict[str, int]:
    return {
        "size_out_of_bounds": sum(1 for c in counts if not sizes["size_min"] <= c <= sizes["size_max"]),
        "wrong_group_count": int(len(counts) != k),
    }


def formation_violations(families, result, sizes: dict[str, int]) -> dict[str, int]:
    """Hard constraints of spec §5 on a ``form_groups`` result, recounted from the member rows."""
    from collections import Counter

    village_of = {f["no_kk"]: f["kode_wilayah"] for f in families}
    group_village = {g["group_id"]: g["kode_wilayah"] for g in result.groups}
    per_group = Counter(m["group_id"] for m in result.members)
    placed = Counter(m["no_kk"] for m in result.members)
    unplaced = Counter(u["no_kk"] for u in result.unplaced)
    return {
        "size_out_of_bounds": sum(1 for c in per_group.values() if not sizes["size_min"] <= c <= sizes["size_max"]),
        "size_field_wrong": sum(1 for g in result.groups if g["size"] != per_group.get(g["group_id"], 0)),
        "mixed_village_members": sum(
            1 for m in result.members if village_of.get(m["no_kk"]) != group_village.get(m["group_id"])
        ),
        "families_lost": sum(1 for kk in village_of if kk not in placed and kk not in unplaced),
        "families_twice": sum(c - 1 for c in placed.values() if c > 1) + sum(1 for kk in unplaced if kk in placed),
    }


# ---------------------------------------------------------------------------
# child processes (each prints one JSON line)


def worker_exact(args: argparse.Namespace) -> dict[str, Any]:
    """(1) exact MIP and heuristic on the same strata of at most ``--exact-max-n`` families."""
    from berdaya.engine.grouping.exact import solve_exact
    from berdaya.engine.grouping.heuristic import solve_heuristic

    sizes = group_sizes(args.rules)
    strata = city_strata(make_city(city_spec(args)), sizes)
    # One-group strata are trivial for both solvers; they would only flatter the heuristic.
    pool = sorted(
        (s for s in strata if s["n"] <= args.exact_max_n and s["k"] > 1),
        key=lambda s: (s["n"], s["village"], s["type"]),
    )
    if len(pool) > args.exact_strata:  # spread over the sizes, smallest and largest included
        step = (len(pool) - 1) / max(1, args.exact_strata - 1)
        pool = [pool[round(i * step)] for i in range(args.exact_strata)]
    rows = []
    for s in pool:
        exact = solve_exact(s["xy"], s["k"], sizes["size_min"], sizes["size_max"], time_limit=args.exact_time_limit)
        heur = solve_heuristic(
            s["xy"], s["k"], sizes["size_min"], sizes["size_max"], seed=args.seed, effort=args.effort
        )
        exact_obj, exact_counts = medoid_objective(s["xy"], exact.assignment)
        heur_obj, heur_counts = medoid_objective(s["xy"], heur.assignment)
        violations = [size_violations(c, s["k"], sizes) for c in (exact_counts, heur_counts)]
        rows.append({
            "village": s["village"], "type": s["type"], "n": s["n"], "k": s["k"],
            "exact_objective": exact_obj, "exact_optimal": bool(exact.optimal),
            "exact_lower_bound": float(exact.lower_bound), "exact_seconds": exact.seconds,
            "heuristic_objective": heur_obj, "heuristic_seconds": heur.seconds,
            "gap": (heur_obj - exact_obj) / exact_obj if exact.optimal and exact_obj > 0 else None,
            "violations": sum(sum(v.values()) for v in violations),
        })  # fmt: skip
        print(json.dumps({"progress": rows[-1]}), flush=True)
    return {"strata_in_city": len(strata), "strata": rows}


def worker_solver(args: argparse.Namespace) -> dict[str, Any]:
    """(2) one solver (``ours``: solve_heuristic, or ``kmc``) over every stratum of the city, sequentially."""
    sizes = group_sizes(args.rules)
    strata = city_strata(make_city(city_spec(args)), sizes)
    lo, hi = sizes["size_min"], sizes["size_max"]
    if args.kind == "kmc":
        import warnings

        from k_means_constrained import KMeansConstrained

        warnings.simplefilter("ignore")  # its sklearn/numpy deprecation notes would drown the log

        def solve(xy, k):
            # It refuses size_max above the number of points (a one-group stratum); the clip changes nothing.
            model = KMeansConstrained(
                n_clusters=k, size_min=lo, size_max=min(hi, len(xy)), n_init=10, random_state=args.seed
            )
            return model.fit_predict(xy)
    else:
        from berdaya.engine.grouping.heuristic import solve_heuristic

        def solve(xy, k):
            return solve_heuristic(xy, k, lo, hi, seed=args.seed, effort=args.effort).assignment

    labels, solve_seconds = [], 0.0
    for s in strata:
        started = time.perf_counter()
        labels.append(solve(s["xy"], s["k"]))
        solve_seconds += time.perf_counter() - started
    rows = []
    for s, lab in zip(strata, labels, strict=True):  # untimed: the common objective and the checks
        objective, counts = medoid_objective(s["xy"], lab)
        rows.append(
            {
                "village": s["village"],
                "type": s["type"],
                "n": s["n"],
                "k": s["k"],
                "objective": objective,
                "violations": size_violations(counts, s["k"], sizes),
            }
        )
    return {"solve_seconds": solve_seconds, "strata": rows}


def worker_formation(args: argparse.Namespace) -> dict[str, Any]:
    """(3) ``form_groups`` on a village, the city or the million, or one 3,000-family stratum."""
    from berdaya.engine.grouping.formation import GroupingOptions, form_groups

    sizes = group_sizes(args.rules)
    if args.kind == "village":
        spec = CitySpec(3_000, 1, args.seed, flat=True)
    elif args.kind == "million":
        spec = CitySpec(
            args.million_families, max(1, round(args.million_families / MILLION_VILLAGE)), args.seed, flat=True
        )
    elif args.kind == "stratum":
        spec = CitySpec(3_000, 1, args.seed, flat=True)
    else:
        spec = city_spec(args)
    warmup = _warm_up() if args.kind in ("village", "stratum") else None
    started = time.perf_counter()
    city = make_city(spec)
    if args.kind == "stratum":
        import numpy as np

        from berdaya.engine.grouping.geo import project_m
        from berdaya.engine.grouping.heuristic import solve_heuristic
        from berdaya.engine.grouping.strata import group_count

        xy = project_m(city["lat"], city["lon"])
        k = group_count(len(xy), **sizes)
        generated = time.perf_counter() - started
        solution = solve_heuristic(xy, k, sizes["size_min"], sizes["size_max"], seed=args.seed, effort=args.effort)
        objective, counts = medoid_objective(xy, solution.assignment)
        return {
            "families": len(xy), "villages": 1, "strata": 1, "groups": int(len(np.unique(solution.assignment))),
            "unplaced": 0, "objective_m": objective, "generate_seconds": generated, "solve_seconds": solution.seconds,
            "warmup_seconds": warmup,
            "violations": size_violations(counts, k, sizes), "main_peak_mb": _self_peak_mb(), "worker_peak_mb": None,
        }  # fmt: skip
    families = families_of(city)
    del city
    generated = time.perf_counter() - started
    workers = 1 if args.kind == "village" else args.workers
    # city-heuristic: the same call without the MIP (strata <= exact_max) and the LP bounds (<= bound_max).
    no_mip = {"exact_max": 0, "bound_max": 0} if args.kind == "city-heuristic" else {}
    options = GroupingOptions(
        sizes["size_min"],
        sizes["size_max"],
        target=sizes["target"],
        seed=args.seed,
        time_limit=args.form_time_limit,
        effort=args.effort,
        **no_mip,
    )
    started = time.perf_counter()
    result = form_groups(families, options, workers=workers)
    solve_seconds = time.perf_counter() - started
    s = result.summary
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "families": len(families), "villages": spec.villages, "strata": s["strata"],
        "strata_exact": s["strata_exact"], "groups": s["groups"], "unplaced": s["unplaced"],
        "unplaced_by_reason": s["unplaced_by_reason"], "mixed_groups": s["mixed_groups"],
        "objective_m": s["objective_m"], "mean_distance_m": s["mean_distance_m"], "p90_distance_m": s["p90_distance_m"],
        "max_distance_m": s["max_distance_m"], "gap_to_bound": s["gap"], "workers": workers,
        "generate_seconds": generated, "solve_seconds": solve_seconds, "warmup_seconds": warmup,
        "violations": formation_violations(families, result, sizes),
        "main_peak_mb": _self_peak_mb(), "worker_peak_mb": _maxrss_mb(children) if workers > 1 else None,
    }  # fmt: skip


def _warm_up() -> float:
    """Load the compiled kernels and the MIP once, as a running web process already has; returns seconds.

    The first solve in a fresh process loads Numba's cached machine code (about 0.3 s here); the
    village and stratum cases time a warm call and report this one-time cost beside it.
    """
    import numpy as np

    from berdaya.engine.grouping.formation import GroupingOptions, form_groups

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    rows = [{"no_kk": str(i), "kode_wilayah": "61.71.04.1001", "lat": -0.01 + rng.normal(0, 1e-3),
             "lon": 109.33 + rng.normal(0, 1e-3), "keahlian": "pertanian"} for i in range(80)]
    form_groups(rows, GroupingOptions(5, 20, 10, exact_max=30))
    rows = rows[:25]
    form_groups(rows, GroupingOptions(5, 20, 10))
    return time.perf_counter() - started


def _self_peak_mb() -> float:
    return _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def city_spec(args: argparse.Namespace) -> CitySpec:
    return CitySpec(args.families, args.villages, args.seed, max_village=args.max_village)


# ---------------------------------------------------------------------------
# measurement (parent side: stdlib only)


@dataclass
class Measurement:
    seconds: float
    peak_mb: float
    returncode: int
    result: dict[str, Any]
    stderr_tail: str


def measure(kind: str, args: argparse.Namespace, log_dir: Path) -> Measurement:
    """Run one worker in a fresh child; wall time and peak RSS (the child and its reaped children) by wait4."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "_worker", kind, *_child_args(args)]
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / f"{kind}.out", log_dir / f"{kind}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = {}
    for line in reversed(out_path.read_text(encoding="utf-8").splitlines()):
        if line.startswith('{"result"'):
            result = json.loads(line)["result"]
            break
    err_lines = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return Measurement(seconds, _maxrss_mb(usage.ru_maxrss), proc.returncode, result, "\n".join(err_lines[-8:]))


def _child_args(args: argparse.Namespace) -> list[str]:
    return [
        "--rules", args.rules, "--seed", str(args.seed), "--families", str(args.families),
        "--villages", str(args.villages), "--max-village", str(args.max_village),
        "--exact-strata", str(args.exact_strata),
        "--exact-max-n", str(args.exact_max_n), "--exact-time-limit", str(args.exact_time_limit),
        "--form-time-limit", str(args.form_time_limit), "--workers", str(args.workers), "--effort", args.effort,
        "--million-families", str(args.million_families),
    ]  # fmt: skip


def _maxrss_mb(value: int) -> float:
    return value / 2**20 if sys.platform == "darwin" else value / 1024  # bytes on macOS, KiB on Linux


def machine_info() -> dict[str, Any]:
    return shared_machine_info(
        {"numpy": "numpy", "scipy": "scipy", "ortools": "ortools", "k_means_constrained": "k-means-constrained"}
    )


# ---------------------------------------------------------------------------
# the run


def run_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    sizes = group_sizes(args.rules)
    log_dir = Path(args.workdir) / "grouping-logs"
    kmc_installed = importlib.util.find_spec("k_means_constrained") is not None
    out: dict[str, Any] = {
        "benchmark": "grouping", "rules": args.rules, "sizes": sizes, "seed": args.seed,
        "city": {"families": args.families, "villages": args.villages, "max_village": args.max_village},
        "machine": machine_info(),
        "targets": {
            "median_gap": TARGET_MEDIAN_GAP, "no_worse_share": TARGET_NO_WORSE_SHARE,
            "speedup_vs_kmc": TARGET_SPEEDUP_VS_KMC, "village_seconds": TARGET_VILLAGE_SECONDS,
            "city_seconds": TARGET_CITY_SECONDS, "worker_mb": TARGET_WORKER_MB,
        },
    }  # fmt: skip
    if not kmc_installed:
        print(
            "k-means-constrained is NOT installed: the peer baseline (2) is skipped. "
            "Install it with `pip install k-means-constrained` (it is not a project dependency).",
            flush=True,
        )
    plan = [
        "village",
        *([] if args.quick else ["stratum"]),
        "city",
        "city-heuristic",
        "ours",
        *(["kmc"] if kmc_installed else []),
        "exact",
    ]
    if args.million:
        plan.append("million")
    runs: dict[str, dict[str, Any]] = {}
    for kind in plan:
        print(f"running {kind} …", flush=True)
        m = measure(kind, args, log_dir)
        line = f"  {kind:<14} {m.seconds:8.2f} s wall, peak {m.peak_mb:,.0f} MB"
        if m.returncode != 0 or not m.result:
            print(f"{line}  FAILED (exit {m.returncode}); log {log_dir / (kind + '.err')}\n{m.stderr_tail}", flush=True)
        else:
            print(line, flush=True)
        runs[kind] = {
            "wall_seconds": round(m.seconds, 3),
            "peak_mb": round(m.peak_mb, 1),
            "returncode": m.returncode,
            **({"stderr_tail": m.stderr_tail} if m.returncode else {}),
            **m.result,
        }
    out["runs"] = runs
    out["parent_rss_mb"] = round(_maxrss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1)
    out["summary"] = summarise(runs, kmc_installed)
    return out


def summarise(runs: dict[str, dict[str, Any]], kmc_installed: bool) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    exact = runs.get("exact", {}).get("strata")
    if exact:
        gaps = [r["gap"] for r in exact if r["gap"] is not None]
        summary["exact"] = {
            "strata": len(exact),
            "proved_optimal": len(gaps),
            "n_range": [min(r["n"] for r in exact), max(r["n"] for r in exact)],
            "median_gap": statistics.median(gaps) if gaps else None,
            "max_gap": max(gaps) if gaps else None,
            "heuristic_at_optimum": sum(1 for g in gaps if g <= 1e-9),
            "exact_seconds_total": sum(r["exact_seconds"] for r in exact),
            "exact_seconds_max": max(r["exact_seconds"] for r in exact),
            "heuristic_seconds_total": sum(r["heuristic_seconds"] for r in exact),
            "violations": sum(r["violations"] for r in exact),
        }
    ours, kmc = runs.get("ours", {}).get("strata"), runs.get("kmc", {}).get("strata")
    if ours and kmc and kmc_installed:
        pairs = list(zip(ours, kmc, strict=True))
        no_worse = sum(1 for a, b in pairs if a["objective"] <= b["objective"] * (1 + 1e-9) + 1e-6)
        total_ours, total_kmc = sum(a["objective"] for a in ours), sum(b["objective"] for b in kmc)
        summary["peer"] = {
            "strata": len(pairs),
            "objective_ours_m": total_ours,
            "objective_kmc_m": total_kmc,
            "objective_ratio": total_ours / total_kmc if total_kmc else None,
            "no_worse": no_worse,
            "no_worse_share": no_worse / len(pairs),
            "worst_stratum_ratio": max(a["objective"] / b["objective"] for a, b in pairs if b["objective"] > 0),
            "solve_seconds_ours": runs["ours"]["solve_seconds"],
            "solve_seconds_kmc": runs["kmc"]["solve_seconds"],
            "speedup_solve": runs["kmc"]["solve_seconds"] / runs["ours"]["solve_seconds"],
            "speedup_wall": runs["kmc"]["wall_seconds"] / runs["ours"]["wall_seconds"],
            "violations_ours": sum(sum(a["violations"].values()) for a in ours),
            "violations_kmc": sum(sum(b["violations"].values()) for b in kmc),
        }
    million = runs.get("million")
    if million and million.get("solve_seconds"):
        per_village = million["solve_seconds"] / million["villages"]
        summary["projection_10m"] = {
            "villages": 10_000_000 // MILLION_VILLAGE,
            "seconds": per_village * 10_000_000 / MILLION_VILLAGE,
            "workers": million["workers"],
            "basis": f"{million['solve_seconds']:.1f} s for {million['villages']} villages, linear in villages",
        }
    return summary


# ---------------------------------------------------------------------------
# report


def print_report(result: dict[str, Any]) -> None:
    machine, sizes, runs, summary = result["machine"], result["sizes"], result["runs"], result["summary"]
    print()
    print(
        f"Group formation, rules {result['rules']} (sizes {sizes['size_min']}–{sizes['size_max']}, "
        f"target {sizes['target']}), seed {result['seed']}; city {result['city']['families']:,} families "
        f"in {result['city']['villages']} villages of 50–{result['city']['max_village']:,}"
    )
    print(
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, Python "
        f"{machine['python']}, numpy {machine['numpy']}, scipy {machine['scipy']}, ortools {machine['ortools']}, "
        f"k-means-constrained {machine['k_means_constrained'] or 'NOT INSTALLED'}, load {machine['load_average']}"
    )
    if machine["load_average"][0] > 0.5 * machine["nproc"]:
        print("WARNING: the machine was busy when the benchmark started; figures are noisy.")

    print("\n(1) exact MIP vs heuristic")
    ex = summary.get("exact")
    if ex:
        print(
            f"  {ex['strata']} city strata of {ex['n_range'][0]}–{ex['n_range'][1]} families; MIP proved optimal "
            f"on {ex['proved_optimal']}/{ex['strata']} (limit {runs['exact'].get('time_limit', '')}); heuristic at "
            f"the optimum on {ex['heuristic_at_optimum']}/{ex['proved_optimal']}"
        )
        if ex["median_gap"] is not None:
            print(
                "  heuristic gap to the optimum: "
                + _verdict("median", ex["median_gap"] * 100, TARGET_MEDIAN_GAP * 100, "%", higher_is_better=False)
                + f"; max {ex['max_gap']:.2%}"
            )
        print(
            f"  time: MIP {ex['exact_seconds_total']:.1f} s in all (max {ex['exact_seconds_max']:.1f} s), "
            f"heuristic {ex['heuristic_seconds_total']:.2f} s; size/count violations {ex['violations']}"
        )
    else:
        print("  not available")

    print("\n(2) peer baseline: k-means-constrained (n_init=10) on every city stratum, same k, one process each")
    peer = summary.get("peer")
    if peer:
        header = (
            f"  {'solver':<24}{'strata':>7}{'objective km':>14}{'solve s':>10}{'wall s':>9}{'peak MB':>9}"
            f"{'violations':>12}"
        )
        print(header)
        print("  " + "-" * (len(header) - 2))
        for key, label, obj, viol in (
            ("ours", "berdaya solve_heuristic", peer["objective_ours_m"], peer["violations_ours"]),
            ("kmc", "k-means-constrained", peer["objective_kmc_m"], peer["violations_kmc"]),
        ):
            r = runs[key]
            print(
                f"  {label:<24}{peer['strata']:>7}{obj / 1000:>14,.1f}{r['solve_seconds']:>10.2f}"
                f"{r['wall_seconds']:>9.2f}{r['peak_mb']:>9,.0f}{viol:>12}"
            )
        print(
            f"  objective ours/theirs {peer['objective_ratio']:.4f} (worst stratum {peer['worst_stratum_ratio']:.4f})"
        )
        print(
            "  "
            + "; ".join(
                [
                    _verdict("no worse on", peer["no_worse_share"] * 100, TARGET_NO_WORSE_SHARE * 100, "%", True)
                    + f" ({peer['no_worse']}/{peer['strata']} strata)",
                    _verdict("speed-up", peer["speedup_solve"], TARGET_SPEEDUP_VS_KMC, "×", True)
                    + f" (solve time; {peer['speedup_wall']:.1f}× by child wall time incl. imports)",
                ]
            )
        )
    else:
        print(
            "  not available"
            + (
                ""
                if result["machine"]["k_means_constrained"]
                else ": k-means-constrained is not installed (pip install k-means-constrained)"
            )
        )

    print("\n(3) timings (solve s: the call itself; wall s: the child incl. imports and data generation)")
    header = (
        f"  {'case':<34}{'families':>10}{'strata':>7}{'groups':>8}{'unplaced':>9}{'solve s':>9}{'wall s':>8}"
        f"{'peak MB':>9}{'worker MB':>10}  violations"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    labels = {
        "village": "3,000-family village, form_groups w=1",
        "stratum": "3,000-family stratum, solve_heuristic",
        "city": "city, form_groups",
        "city-heuristic": "city, heuristic only",
        "million": "1,000,000 families, form_groups",
    }
    for kind, label in labels.items():
        r = runs.get(kind)
        if not r or "solve_seconds" not in r:
            if r:
                print(f"  {label:<34} FAILED (exit {r['returncode']})")
            continue
        if kind in ("city", "city-heuristic", "million"):
            label = f"{label} w={r['workers']}"
        worker = f"{r['worker_peak_mb']:,.0f}" if r.get("worker_peak_mb") is not None else "—"
        violations = sum(r["violations"].values())
        detail = "" if not violations else " " + json.dumps({k: v for k, v in r["violations"].items() if v})
        print(
            f"  {label:<34}{r['families']:>10,}{r['strata']:>7,}{r['groups']:>8,}{r['unplaced']:>9,}"
            f"{r['solve_seconds']:>9.2f}{r['wall_seconds']:>8.2f}{r['main_peak_mb']:>9,.0f}{worker:>10}  "
            f"{violations}{detail}"
        )
    warm = [(kind, runs[kind]["warmup_seconds"]) for kind in ("village", "stratum")
            if runs.get(kind, {}).get("warmup_seconds") is not None]
    if warm:
        print("  village and stratum time a warm call; loading the compiled kernels and the MIP first took "
              + ", ".join(f"{seconds:.2f} s ({kind})" for kind, seconds in warm) + " once per process")
    verdicts = []
    if "solve_seconds" in runs.get("village", {}):
        verdicts.append(_verdict("village", runs["village"]["solve_seconds"], TARGET_VILLAGE_SECONDS, " s", False))
    if "solve_seconds" in runs.get("city", {}):
        city = runs["city"]
        verdicts.append(_verdict(f"city {city['families']:,}", city["solve_seconds"], TARGET_CITY_SECONDS, " s", False))
        if city.get("worker_peak_mb") is not None:
            verdicts.append(_verdict("peak per worker", city["worker_peak_mb"], TARGET_WORKER_MB, " MB", False))
    if "solve_seconds" in runs.get("million", {}):
        m = runs["million"]
        if m.get("worker_peak_mb") is not None:
            verdicts.append(_verdict("peak per worker (million)", m["worker_peak_mb"], TARGET_WORKER_MB, " MB", False))
    if verdicts:
        print("  targets: " + "; ".join(verdicts))
    if "solve_seconds" in runs.get("city", {}):
        c = runs["city"]
        print(
            f"  city: {c['strata_exact']} of {c['strata']} strata solved exactly, mixed groups {c['mixed_groups']}, "
            f"unplaced {c['unplaced_by_reason']}, member distance mean {c['mean_distance_m']:.0f} m, "
            f"p90 {c['p90_distance_m']:.0f} m, max {c['max_distance_m']:.0f} m"
        )
    projection = summary.get("projection_10m")
    if projection:
        print(
            f"  10,000,000 families ({projection['villages']:,} villages of ~2,500) projected: "
            f"{projection['seconds'] / 60:,.1f} min with {projection['workers']} workers ({projection['basis']})"
        )
    total = sum(sum(r["violations"].values()) for r in runs.values() if isinstance(r.get("violations"), dict))
    total += (ex or {}).get("violations", 0) + (peer or {}).get("violations_ours", 0)
    print(f"\nconstraint violations of berdaya, all variants: {total} (target 0)")
    print(f"(peak memory of a child cannot read below this process's own RSS: {result['parent_rss_mb']} MB)")


def _verdict(label: str, value: float, target: float, unit: str, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    sign = "≥" if higher_is_better else "≤"
    return f"{label} {value:,.2f}{unit} (target {sign} {target:g}{unit}) {'OK' if ok else 'MISSED'}"


# ---------------------------------------------------------------------------
# command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="city of 4,000 in 10 villages up to 1,000; 6 MIP strata (5 s); no 3,000-family stratum",
    )
    parser.add_argument("--million", action="store_true", help="also form groups for 1,000,000 families")
    parser.add_argument("--rules", default="permensos-2-2019", help="rule set name or TOML path ([group] sizes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--families", type=int, help="city size (default 30,000; --quick 6,000)")
    parser.add_argument("--villages", type=int, help="city villages (default 40; --quick 10)")
    parser.add_argument("--max-village", type=int, help="largest city village (default 3,000; --quick 1,000)")
    parser.add_argument("--exact-strata", type=int, help="strata for the MIP comparison (default 60; --quick 8)")
    parser.add_argument("--exact-max-n", type=int, default=200, help="largest stratum given to the MIP")
    parser.add_argument("--exact-time-limit", type=float, help="MIP seconds per stratum (default 30; --quick 10)")
    parser.add_argument("--form-time-limit", type=float, default=10.0, help="form_groups' time_limit per stratum")
    parser.add_argument("--effort", default="fast", choices=("fast", "thorough"), help="the heuristic's effort")
    parser.add_argument("--workers", type=int, default=2, help="form_groups workers for the city and the million")
    parser.add_argument("--million-families", type=int, default=MILLION_FAMILIES, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "berdaya-bench"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_worker"]:
        kind = argv[1]
        args = _parser().parse_args(argv[2:])
        args.kind = kind
        workers = {"exact": worker_exact, "ours": worker_solver, "kmc": worker_solver}
        result = workers.get(kind, worker_formation)(args)
        if kind == "exact":
            result["time_limit"] = f"{args.exact_time_limit:g} s"
        print(json.dumps({"result": result}), flush=True)
        return
    args = _parser().parse_args(argv)
    quick = args.quick
    args.families = args.families or (4_000 if quick else 30_000)
    args.villages = args.villages or (10 if quick else 40)
    args.max_village = args.max_village or (1_000 if quick else 3_000)
    args.exact_strata = args.exact_strata or (6 if quick else 60)
    args.exact_time_limit = args.exact_time_limit or (5.0 if quick else 30.0)
    result = run_benchmark(args)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nresults → {args.json}")


if __name__ == "__main__":
    main()
