"""Pendamping assignment (spec §6): propose a facilitator for each KUBE that has none.

Rules, in order of importance:

1. cover as many KUBEs as possible without ever giving a pendamping more than ``cap - load`` new KUBEs;
2. prefer a pendamping whose home is the KUBE's own kecamatan (a pendamping in every kecamatan is what
   the Makassar study lacked), then one in the same kab/kota; other kab/kota only when allowed;
3. among those, minimise the total travel from each pendamping's home to the KUBE's meeting house.

The problem is a transportation problem, solved exactly as a min-cost flow (OR-Tools): KUBE → pendamping
arcs cost the distance plus a penalty for leaving the kecamatan; every KUBE also has an arc straight to
the sink (“left unassigned”) that costs more than any complete set of real arcs, so the flow is always
feasible and leaves a KUBE unassigned only when no room is left for it.

Framework-free: ids are the caller's (database keys), the result is plain dataclasses.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from berdaya.engine.grouping.geo import haversine_m, in_indonesia

UNASSIGNED_REASONS = {
    "NO_FACILITATOR_IN_KABKOTA": "tidak ada pendamping aktif di kabupaten/kota KUBE ini",
    "NO_FACILITATOR": "tidak ada pendamping aktif sama sekali",
    "ALL_AT_CAP": "semua pendamping yang dapat menjangkau KUBE ini sudah mencapai batas jumlah dampingan",
}


@dataclass(frozen=True)
class KubeSite:
    """A KUBE waiting for a pendamping: its kecamatan code (``61.71.04``) and meeting-house coordinates."""

    id: int
    kecamatan: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class FacilitatorSite:
    """A pendamping: home kecamatan, caseload cap, KUBEs already kept (``load``) and home coordinates."""

    id: int
    kecamatan: str
    cap: int
    load: int = 0
    lat: float | None = None
    lon: float | None = None

    @property
    def room(self) -> int:
        # A pendamping already over cap (an override) has no room, never a negative one.
        return max(self.cap - self.load, 0)


@dataclass(frozen=True)
class AssignmentOptions:
    """Prices of the proposal, in metres.

    ``cross_kecamatan_penalty_m`` is added to a pair whose pendamping lives in another kecamatan (and once
    more for another kab/kota): at the default 50 km a same-kecamatan pendamping wins over any nearer one
    across the border. ``unknown_distance_m`` prices a pair when either side has no usable coordinates.
    """

    cross_kecamatan_penalty_m: int = 50_000
    allow_other_kabkota: bool = False
    unknown_distance_m: int = 5_000


@dataclass(frozen=True)
class ProposedPair:
    kube_id: int
    facilitator_id: int
    distance_m: float | None  # None when either side has no usable coordinates
    same_kecamatan: bool


@dataclass(frozen=True)
class UnassignedKube:
    kube_id: int
    reason_code: str
    reason: str


@dataclass
class AssignmentResult:
    pairs: list[ProposedPair] = field(default_factory=list)
    unassigned: list[UnassignedKube] = field(default_factory=list)
    kecamatan_without_facilitator: list[str] = field(default_factory=list)
    load_after: dict[int, int] = field(default_factory=dict)

    @property
    def total_distance_m(self) -> float:
        """Sum of the known distances of the proposed pairs."""
        return float(sum(p.distance_m for p in self.pairs if p.distance_m is not None))


def kabkota_of(code: str) -> str:
    """The kab/kota part of a dotted region code (``61.71.04`` → ``61.71``)."""
    return ".".join(code.split(".")[:2])


def propose_assignments(
    kubes: Iterable[KubeSite],
    facilitators: Iterable[FacilitatorSite],
    options: AssignmentOptions | None = None,
) -> AssignmentResult:
    """Propose one pendamping for each KUBE, or say why none could be found.

    Inputs: the KUBEs needing a pendamping; the candidate pendamping with their cap and current load
    (inactive ones should not be passed); ``options`` (``AssignmentOptions()`` by default). Without
    ``allow_other_kabkota`` a KUBE is only matched within its kab/kota.

    Result: ``pairs`` (one per assigned KUBE, in KUBE id order) with the distance in metres and whether
    the pendamping lives in the KUBE's kecamatan; ``unassigned`` with a reason code from
    ``UNASSIGNED_REASONS`` and its Indonesian text; ``kecamatan_without_facilitator``, the sorted
    kecamatan codes that have KUBEs here but no pendamping living there; ``load_after``, every pendamping's
    load including the proposal. No pendamping receives more than ``cap - load`` KUBEs. The same input, in
    any order, gives the same result.

    Raises ``ValueError`` for repeated ids, a negative cap or load, or negative prices.
    """
    options = options or AssignmentOptions()
    kube_list = sorted(kubes, key=lambda k: k.id)
    facilitator_list = sorted(facilitators, key=lambda f: f.id)
    _validate(kube_list, facilitator_list, options)

    result = AssignmentResult(load_after={f.id: f.load for f in facilitator_list})
    homes = {f.kecamatan for f in facilitator_list}
    result.kecamatan_without_facilitator = sorted({k.kecamatan for k in kube_list} - homes)

    # Without cross-kab/kota matching the kab/kota are independent problems: solving them apart keeps
    # each graph (dense within its kab/kota) and the "unassigned" price small.
    components: dict[str, tuple[list[KubeSite], list[FacilitatorSite]]] = defaultdict(lambda: ([], []))
    for kube in kube_list:
        components["" if options.allow_other_kabkota else kabkota_of(kube.kecamatan)][0].append(kube)
    for facilitator in facilitator_list:
        key = "" if options.allow_other_kabkota else kabkota_of(facilitator.kecamatan)
        if key in components:
            components[key][1].append(facilitator)

    pairs: list[ProposedPair] = []
    unassigned: list[UnassignedKube] = []
    for key in sorted(components):
        component_kubes, component_facilitators = components[key]
        got_pairs, got_unassigned = _solve_component(component_kubes, component_facilitators, options)
        pairs.extend(got_pairs)
        unassigned.extend(got_unassigned)
    for pair in pairs:
        result.load_after[pair.facilitator_id] += 1
    result.pairs = sorted(pairs, key=lambda p: p.kube_id)
    result.unassigned = sorted(unassigned, key=lambda u: u.kube_id)
    return result


def _validate(kubes: Sequence[KubeSite], facilitators: Sequence[FacilitatorSite], options: AssignmentOptions) -> None:
    for name, ids in (("KUBE", [k.id for k in kubes]), ("facilitator", [f.id for f in facilitators])):
        if len(set(ids)) != len(ids):
            raise ValueError(f"repeated {name} ids")
    for f in facilitators:
        if f.cap < 0 or f.load < 0:
            raise ValueError(f"facilitator {f.id}: cap and load must not be negative")
    if options.cross_kecamatan_penalty_m < 0 or options.unknown_distance_m < 0:
        raise ValueError("penalties must not be negative")


def _unassigned(kube: KubeSite, code: str) -> UnassignedKube:
    return UnassignedKube(kube_id=kube.id, reason_code=code, reason=UNASSIGNED_REASONS[code])


def _coordinates(sites: Sequence[KubeSite | FacilitatorSite]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude, longitude and a "usable" mask; (0, 0), out-of-country or missing values are unusable."""
    lat = np.zeros(len(sites))
    lon = np.zeros(len(sites))
    known = np.zeros(len(sites), dtype=bool)
    for i, site in enumerate(sites):
        if site.lat is None or site.lon is None:
            continue
        if math.isfinite(site.lat) and math.isfinite(site.lon) and in_indonesia(site.lat, site.lon):
            lat[i], lon[i], known[i] = site.lat, site.lon, True
    return lat, lon, known


def _solve_component(
    kubes: list[KubeSite], facilitators: list[FacilitatorSite], options: AssignmentOptions
) -> tuple[list[ProposedPair], list[UnassignedKube]]:
    """Exact min-cost flow for the KUBEs and pendamping of one kab/kota (or of everything)."""
    if not facilitators:
        code = "NO_FACILITATOR" if options.allow_other_kabkota else "NO_FACILITATOR_IN_KABKOTA"
        return [], [_unassigned(k, code) for k in kubes]
    open_facilitators = [f for f in facilitators if f.room > 0]
    if not open_facilitators:
        return [], [_unassigned(k, "ALL_AT_CAP") for k in kubes]

    n, m = len(kubes), len(open_facilitators)
    k_lat, k_lon, k_known = _coordinates(kubes)
    f_lat, f_lon, f_known = _coordinates(open_facilitators)
    distance = haversine_m(k_lat[:, None], k_lon[:, None], f_lat[None, :], f_lon[None, :])
    known = k_known[:, None] & f_known[None, :]
    priced = np.where(known, distance, float(options.unknown_distance_m))
    k_kec = np.array([k.kecamatan for k in kubes], dtype=object)
    f_kec = np.array([f.kecamatan for f in open_facilitators], dtype=object)
    same_kecamatan = k_kec[:, None] == f_kec[None, :]
    k_kab = np.array([kabkota_of(k.kecamatan) for k in kubes], dtype=object)
    f_kab = np.array([kabkota_of(f.kecamatan) for f in open_facilitators], dtype=object)
    same_kabkota = k_kab[:, None] == f_kab[None, :]
    penalty = options.cross_kecamatan_penalty_m * ((~same_kecamatan).astype(np.int64) + (~same_kabkota))
    costs = (np.rint(priced) + penalty).astype(np.int64).ravel()

    # Any assignment of all n KUBEs costs at most n * max(costs); leaving one more KUBE unassigned must
    # cost more than that, so the flow first covers as many KUBEs as it can and only then saves travel.
    unassigned_cost = n * (int(costs.max()) + 1) + 1
    sink = n + m
    flow = min_cost_flow.SimpleMinCostFlow()
    pair_arcs = n * m
    tails = np.repeat(np.arange(n, dtype=np.int64), m)
    heads = n + np.tile(np.arange(m, dtype=np.int64), n)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(pair_arcs, dtype=np.int64), costs)
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, dtype=np.int64),
        np.full(n, sink, dtype=np.int64),
        np.ones(n, dtype=np.int64),
        # Ties leave the newest KUBEs (highest ids) waiting: older ones have waited longer.
        unassigned_cost + np.arange(n, 0, -1, dtype=np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        n + np.arange(m, dtype=np.int64),
        np.full(m, sink, dtype=np.int64),
        np.array([f.room for f in open_facilitators], dtype=np.int64),
        np.zeros(m, dtype=np.int64),
    )
    supplies = np.concatenate([np.ones(n, dtype=np.int64), np.zeros(m, dtype=np.int64), [-n]])
    flow.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:  # cannot happen: the unassigned arcs make every instance feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")

    used = np.flatnonzero(flow.flows(np.arange(pair_arcs, dtype=np.int64)) > 0)
    pairs: list[ProposedPair] = []
    assigned: set[int] = set()
    for arc in used.tolist():
        i, j = divmod(arc, m)
        assigned.add(i)
        pairs.append(
            ProposedPair(
                kube_id=kubes[i].id,
                facilitator_id=open_facilitators[j].id,
                distance_m=round(float(distance[i, j]), 1) if known[i, j] else None,
                same_kecamatan=bool(same_kecamatan[i, j]),
            )
        )
    unassigned = [_unassigned(kubes[i], "ALL_AT_CAP") for i in range(n) if i not in assigned]
    return pairs, unassigned
