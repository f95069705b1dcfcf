"""The demo's books (spec §7, §10): up to 18 months of plausible bookkeeping for every KUBE that received
its UEP aid, posted through the ledger's own bulk service and closed month by month.

Each group's year is drawn up as a small simulation: the aid sits in the bank; in the first days the
treasurer withdraws part of it, buys the equipment and the first materials; then the business runs to
its own rhythm (a sweet-corn field sells at harvest, a warung every week, a tailor most in July and
before Lebaran), members pay their monthly *simpanan*, borrow from the fund and repay with *jasa*, a tenth
of each quarter's surplus goes to the IKS fund, spare cash goes back to the bank, and the strongest groups
share out their 2025 SHU in January. Cash is tracked as the plan is drawn up, so no payment is planned
that the cash box or the bank account cannot cover: the ledger refuses such an entry, and a refusal here
is a bug in the generator, never something to swallow.

Some groups are clearly healthy, a few clearly struggling (falling sales, members who stop repaying), so
the dashboards have contrast. Everything is drawn from `random.Random` seeded by the demo seed and the
group's name: the same seed gives the same books, entry for entry.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from berdaya.core.models import User
from berdaya.core.templatetags.berdaya import MONTHS_ID as MONTHS
from berdaya.engine import bookkeeping as bk
from berdaya.kube.models import Kube, KubeState, Membership
from berdaya.ledger.models import Account, JournalLine
from berdaya.ledger.services import month_close, operations_post_bulk

# Health of a group's business over time: "strong" grows, "steady" holds, "struggling" falls off after a
# few months and its members stop repaying, "failing" is the group dissolved after the flood, "starting"
# a funded group that has bought its tools but not yet opened for business.
STRONG, STEADY, STRUGGLING, FAILING, STARTING = "strong", "steady", "struggling", "failing", "starting"
STRUGGLING_GROUPS = 3  # of the working groups: a few clearly in trouble
STRONG_GROUPS = 8  # and several clearly doing well, besides Jagung Manis 8 and the graduated group
CASH_ON_HAND = 1_500_000  # what a treasurer keeps in the box after banking the surplus at month end
FUND_RESERVE = 2_500_000  # loans are made only while Kas + Bank stay above this
LOAN_SIZES = (500_000, 750_000, 1_000_000, 1_000_000, 1_500_000, 2_000_000)
# Priorities within one day: stock is bought before it is sold, money comes in before it goes out to
# members, and the month-end entries (depreciation, IKS, banking the surplus) come last.
BUY, SELL, RUNNING, MEMBERS, DEPRECIATE, ALLOCATE, DEPOSIT = range(7)


@dataclass(frozen=True)
class _Input:
    text: str
    share: float  # of the harvest's planned value
    first_week: int  # weeks into the cycle
    last_week: int
    wages: bool = False


@dataclass(frozen=True)
class _Trade:
    """How one kind of business earns and spends. Amounts are for a group doing normally."""

    equipment: tuple[tuple[str, int], ...]
    first_stock: tuple[str, int] | None
    sale_text: tuple[str, ...]
    purchase_text: tuple[str, ...] = ()
    # Continuous trades: takings per week (spread over `sales_per_week` entries, or one sale every
    # `every_weeks` weeks) and purchases as a share of them.
    weekly: int = 0
    sales_per_week: int = 1
    every_weeks: int = 1
    cost_ratio: float = 0.0
    wages: int = 0  # a month's wages for the members who work the business
    wage_text: str = "Upah anggota yang bekerja"
    # Cycle trades (fields, poultry, fish ponds): a harvest sold over `harvest_weeks` at the end of each
    # cycle of `cycle_weeks`, and the inputs spent during the cycle.
    cycle_weeks: int = 0
    harvest: int = 0
    harvest_weeks: int = 3
    inputs: tuple[_Input, ...] = ()
    # An occasional large sale (a goat) every so many months.
    big_sale: tuple[str, int, int] | None = None
    running: tuple[tuple[str, int], ...] = (("Listrik, air dan transportasi", 200_000),)
    season: Mapping[int, float] = field(default_factory=dict)


_RAMADAN = {3: 1.4, 4: 1.15, 12: 1.2}  # Lebaran 2026 falls on 20 March
TRADES: dict[str, _Trade] = {
    "Jagung Manis": _Trade(
        equipment=(
            ("Pompa air dan selang", 2_600_000),
            ("Hand sprayer, cangkul dan terpal", 1_900_000),
            ("Gerobak dorong", 900_000),
        ),
        first_stock=None,
        sale_text=(
            "Panen jagung manis dijual ke pengepul Pasar Siantan",
            "Jagung manis dijual di Pasar Flamboyan",
            "Panen jagung manis, pesanan pedagang jagung bakar",
        ),
        cycle_weeks=13,
        harvest=8_400_000,
        harvest_weeks=3,
        inputs=(
            _Input("Benih jagung manis hibrida", 0.10, 0, 0),
            _Input("Upah olah lahan dan tanam", 0.07, 0, 0, wages=True),
            _Input("Pupuk dasar NPK dan pupuk kandang", 0.13, 1, 1),
            _Input("Pupuk susulan urea", 0.08, 4, 4),
            _Input("Pestisida dan fungisida", 0.05, 6, 6),
            _Input("Upah panen dan angkut", 0.07, 10, 10, wages=True),
        ),
        running=(("Transportasi dan bahan bakar pompa", 160_000),),
        season={11: 0.85, 12: 0.8, 1: 0.85, 7: 1.1, 8: 1.15, 9: 1.1},
    ),
    "Sayur Segar": _Trade(
        equipment=(("Pompa air, selang dan gembor", 2_400_000), ("Cangkul, parang dan mulsa plastik", 1_600_000)),
        first_stock=None,
        sale_text=("Sayur kangkung dan sawi dijual ke Pasar Puring", "Panen sayur, pesanan warung makan"),
        cycle_weeks=8,
        harvest=3_400_000,
        harvest_weeks=4,
        inputs=(
            _Input("Benih sayur dan pupuk dasar", 0.22, 0, 0),
            _Input("Pupuk daun dan pestisida nabati", 0.10, 3, 3),
            _Input("Upah tanam dan panen", 0.10, 4, 4, wages=True),
        ),
        running=(("Transportasi ke pasar", 120_000),),
        season={12: 0.8, 1: 0.85, 6: 1.1, 7: 1.1},
    ),
    "Lidah Buaya": _Trade(
        equipment=(("Peralatan pengolahan minuman lidah buaya", 3_800_000), ("Freezer dan sealer", 3_200_000)),
        first_stock=("Bibit lidah buaya, gula dan kemasan awal", 2_000_000),
        sale_text=("Penjualan pelepah dan minuman lidah buaya", "Minuman lidah buaya dititip ke toko oleh-oleh"),
        purchase_text=("Gula, kemasan dan pupuk", "Kemasan gelas dan gula"),
        weekly=620_000,
        cost_ratio=0.5,
        wages=300_000,
        wage_text="Upah pengolahan",
        season={8: 1.2, 12: 1.25, 3: 1.3},
    ),
    "Ayam Kampung": _Trade(
        equipment=(("Kandang ayam, tempat pakan dan minum", 3_600_000), ("Lampu pemanas dan terpal", 900_000)),
        first_stock=None,
        sale_text=("Ayam kampung dijual ke pedagang Pasar Kemuning", "Ayam kampung, pesanan rumah makan"),
        cycle_weeks=13,
        harvest=8_000_000,
        inputs=(
            _Input("Bibit ayam kampung (DOC)", 0.15, 0, 0),
            _Input("Vitamin dan vaksin", 0.03, 1, 1),
            _Input("Pakan ayam", 0.046, 0, 10),
        ),
        running=(("Listrik dan sekam", 150_000),),
        season={3: 1.35, 12: 1.15, 6: 1.1},
    ),
    "Kambing Etawa": _Trade(
        equipment=(("Kandang panggung kambing", 4_200_000), ("Mesin pencacah rumput", 2_300_000)),
        first_stock=("Bibit kambing etawa 5 ekor", 7_000_000),
        sale_text=("Susu kambing etawa dijual ke pelanggan",),
        purchase_text=("Konsentrat dan ampas tahu", "Pakan tambahan dan obat cacing"),
        weekly=360_000,
        cost_ratio=0.35,
        big_sale=("Jual kambing jantan", 3_100_000, 4),
        running=(("Transportasi dan listrik kandang", 120_000),),
        season={6: 1.1},
    ),
    "Lele Kapuas": _Trade(
        equipment=(("Kolam terpal bulat 4 unit", 3_400_000), ("Pompa air dan aerator", 1_500_000)),
        first_stock=None,
        sale_text=("Panen lele dijual ke pengepul", "Lele dijual ke pedagang pecel lele"),
        cycle_weeks=13,
        harvest=7_500_000,
        inputs=(_Input("Bibit lele", 0.12, 0, 0), _Input("Pakan pelet lele", 0.05, 0, 10)),
        running=(("Listrik pompa dan aerator", 170_000),),
        season={3: 1.2},
    ),
    "Patin Jaya": _Trade(
        equipment=(("Keramba jaring apung", 4_800_000), ("Perahu kecil dan jaring", 1_700_000)),
        first_stock=None,
        sale_text=("Panen patin dijual ke pengepul Sungai Kapuas", "Patin dijual ke rumah makan"),
        cycle_weeks=22,
        harvest=12_000_000,
        inputs=(_Input("Bibit patin", 0.10, 0, 0), _Input("Pakan patin", 0.028, 0, 18)),
        running=(("Bahan bakar perahu", 150_000),),
        season={3: 1.15},
    ),
    "Kerupuk Basah": _Trade(
        equipment=(("Kompor, dandang dan panci besar", 2_400_000), ("Freezer dan meja produksi", 3_300_000)),
        first_stock=("Tepung sagu, ikan dan bumbu awal", 1_500_000),
        sale_text=("Kerupuk basah dititip ke warung", "Penjualan kerupuk basah di pasar pagi"),
        purchase_text=("Ikan tenggiri, tepung sagu dan bumbu", "Bahan kerupuk dan gas elpiji"),
        weekly=900_000,
        cost_ratio=0.6,
        wages=450_000,
        wage_text="Upah produksi kerupuk",
        season=_RAMADAN,
    ),
    "Sambal Lingkong": _Trade(
        equipment=(("Blender besar, kompor dan wajan", 2_100_000), ("Sealer dan rak pengering", 1_800_000)),
        first_stock=("Cabai, ikan lingkong dan botol kemasan", 1_400_000),
        sale_text=("Sambal lingkong dititip ke toko oleh-oleh", "Penjualan sambal lingkong daring"),
        purchase_text=("Cabai, ikan lingkong dan botol", "Bahan sambal dan kemasan"),
        weekly=850_000,
        cost_ratio=0.58,
        wages=400_000,
        wage_text="Upah produksi sambal",
        season=_RAMADAN,
    ),
    "Warung Berkah": _Trade(
        equipment=(("Rak, etalase dan timbangan", 3_200_000), ("Lemari pendingin minuman", 2_900_000)),
        first_stock=("Stok awal barang dagangan", 3_500_000),
        sale_text=("Penjualan warung", "Hasil penjualan warung sepekan"),
        purchase_text=("Belanja stok sembako di grosir", "Belanja barang dagangan"),
        weekly=2_300_000,
        sales_per_week=2,
        cost_ratio=0.85,
        wages=250_000,
        wage_text="Upah jaga warung",
        running=(("Listrik dan plastik kemasan", 180_000),),
        season=_RAMADAN,
    ),
    "Kios Sembako": _Trade(
        equipment=(("Rak besi, etalase dan timbangan digital", 3_500_000), ("Lemari pendingin", 2_800_000)),
        first_stock=("Stok awal beras, minyak dan gula", 4_000_000),
        sale_text=("Penjualan kios sembako", "Hasil penjualan kios sepekan"),
        purchase_text=("Belanja stok sembako di grosir", "Belanja beras, minyak goreng dan gula"),
        weekly=2_500_000,
        sales_per_week=2,
        cost_ratio=0.86,
        wages=250_000,
        wage_text="Upah jaga kios",
        running=(("Listrik dan sewa lapak", 220_000),),
        season=_RAMADAN,
    ),
    "Anggrek": _Trade(
        equipment=(("Alat anyam, gunting dan mesin jahit tangan", 2_600_000), ("Etalase pameran", 1_400_000)),
        first_stock=("Bahan anyaman: rotan, pandan dan pewarna", 1_500_000),
        sale_text=(
            "Kerajinan anyaman dijual di galeri Dekranasda",
            "Pesanan tas anyaman",
            "Penjualan kerajinan di pameran",
        ),
        purchase_text=("Rotan, pandan dan pewarna", "Bahan anyaman dan aksesoris"),
        weekly=560_000,
        every_weeks=2,
        cost_ratio=0.4,
        wages=350_000,
        wage_text="Upah pengrajin",
        running=(("Transportasi dan kemasan", 120_000),),
        season={8: 1.3, 12: 1.5, 3: 1.4},
    ),
    "Tenun Corak Insang": _Trade(
        equipment=(("Alat tenun bukan mesin 2 unit", 4_500_000), ("Meja potong dan setrika", 1_100_000)),
        first_stock=("Benang dan pewarna awal", 2_000_000),
        sale_text=("Kain tenun corak insang terjual", "Pesanan kain tenun untuk seragam kantor"),
        purchase_text=("Benang katun dan benang emas",),
        weekly=700_000,
        every_weeks=2,
        cost_ratio=0.45,
        wages=400_000,
        wage_text="Upah penenun",
        season={8: 1.3, 12: 1.4, 3: 1.4},
    ),
    "Jahit Rapi": _Trade(
        equipment=(("Mesin jahit 3 unit dan mesin obras", 5_600_000), ("Meja potong, setrika dan manekin", 1_300_000)),
        first_stock=("Kain, benang dan kancing awal", 1_200_000),
        sale_text=("Ongkos jahit pelanggan", "Pesanan jahit seragam", "Ongkos permak dan jahit baju"),
        purchase_text=("Kain, benang dan kancing", "Benang, resleting dan kain keras"),
        weekly=560_000,
        cost_ratio=0.35,
        wages=450_000,
        wage_text="Upah penjahit",
        running=(("Listrik dan perawatan mesin", 160_000),),
        season={7: 2.2, 6: 1.3, 3: 1.6, 2: 1.2, 12: 1.2},
    ),
    "Servis Motor": _Trade(
        equipment=(("Kompresor, kunci dan dongkrak", 4_800_000), ("Rak suku cadang", 900_000)),
        first_stock=("Stok awal oli dan suku cadang", 2_500_000),
        sale_text=("Ongkos servis dan penjualan suku cadang", "Servis motor dan ganti oli"),
        purchase_text=("Oli dan suku cadang", "Ban dalam, kampas rem dan busi"),
        weekly=720_000,
        cost_ratio=0.55,
        wages=400_000,
        wage_text="Upah mekanik",
        season={3: 1.4, 4: 1.1},
    ),
}
DEFAULT_TRADE = "Warung Berkah"


def demo_books_build(
    *,
    seed: int,
    officer: User,
    as_of: dt.date,
    log: Callable[[str], None],
    endings: Mapping[int, tuple[str, dt.date]] | None = None,
    struggling: int = STRUGGLING_GROUPS,
    strong: int = STRONG_GROUPS,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Post and close the books of every demo KUBE that has received its aid. Runs in demo_build's transaction.

    `endings` maps a KUBE's pk to the state it will be taken to (graduated or dissolved) and the day: the
    demo posts a group's history before that happens, because a dissolved group's books are frozen and a
    graduated group's members have left. A graduated group keeps books up to `as_of` (without member
    savings or new loans after it graduates); a dissolved group's books stop the day before dissolution
    and are closed through the month before. Everyone else is closed through the month before `as_of`.
    `struggling` and `strong` are how many working groups do badly and well (the city-scale demo scales
    them up); `progress(done, total)` is told after each book.
    Returns counts of books, entries posted here and lines (the aid and year-end entries' included).
    Raises LedgerError if the generator plans what the ledger refuses (a bug here).
    """
    endings = endings or {}
    kubes = list(
        Kube.objects.filter(state__in=[KubeState.FUNDED, KubeState.ACTIVE, KubeState.GRADUATED], aid__isnull=False)
        .distinct()
        .order_by("region_id", "name")
    )
    tiers = _tiers(kubes, seed, endings, struggling=struggling, strong=strong)
    last_day = as_of - dt.timedelta(days=1)
    books = entries = 0
    for kube in kubes:
        end = members_until = close_through = last_day
        if kube.pk in endings:
            ending_state, ending_on = endings[kube.pk]
            members_until = ending_on - dt.timedelta(days=1)
            if ending_state == KubeState.DISSOLVED:
                end = members_until
                close_through = _month_start(end) - dt.timedelta(days=1)
        plan = _plan_books(kube, tier=tiers[kube.pk], seed=seed, end=end, members_until=members_until)
        actor = _treasurer_user(kube) or officer
        entries += _post_and_close(kube, plan.ops, actor=actor, opened=plan.start, close_through=close_through)
        books += 1
        if progress is not None:
            progress(books, len(kubes))
    lines = JournalLine.objects.filter(kube__in=kubes).count()
    log(
        f"Buku KUBE: {books} buku, {entries:,} jurnal ({lines:,} baris), "
        f"ditutup sampai {(_month_start(as_of) - dt.timedelta(days=1)).isoformat()}"
    )
    return {"books": books, "journal_entries": entries, "journal_lines": lines}


def _post_and_close(
    kube: Kube, ops: list[dict[str, Any]], *, actor: User, opened: dt.date, close_through: dt.date
) -> int:
    """Post the planned operations (in date order) and close each month from `opened` through `close_through`.

    A year is posted and its months closed before the next year is posted, so the year-end entry follows
    December's entries in the numbering as it would in a treasurer's book. Returns the entries posted.
    """
    loans: dict[str, Any] = {}
    posted = 0
    month = _month_start(opened)
    for year in range(month.year, close_through.year + 1):
        posted += _post(kube, [op for op in ops if op["date"].year == year], actor=actor, loans=loans)
        while month.year == year and _month_end(month) <= close_through:
            month_close(actor=actor, kube=kube, month=month)
            month = _next_month(month)
    later = [op for op in ops if op["date"].year > close_through.year]
    return posted + _post(kube, later, actor=actor, loans=loans)


def _post(kube: Kube, ops: list[dict[str, Any]], *, actor: User, loans: dict[str, Any]) -> int:
    """Post operations with as few bulk calls as the ledger allows; `loans` collects {loan_ref: MemberLoan}.

    A call ends before the first repayment of a loan made in that same call, because the bulk writer
    (posting._write) currently stores such a loan once for every entry that names it; repayments are
    therefore always handed a loan posted by an earlier call, as the MemberLoan itself.
    """
    posted = 0
    batch: list[dict[str, Any]] = []
    made_in_batch: set[str] = set()
    for planned in ops:
        op = dict(planned)
        if op["kind"] == "repayment":
            ref = op.pop("loan_ref")
            if ref in made_in_batch:
                posted += len(operations_post_bulk(actor=actor, kube=kube, operations=batch, loans=loans))
                batch, made_in_batch = [], set()
            op["loan"] = loans[ref]
        elif op["kind"] == "loan_out":
            made_in_batch.add(op["loan_ref"])
        batch.append(op)
    if batch:
        posted += len(operations_post_bulk(actor=actor, kube=kube, operations=batch, loans=loans))
    return posted


def _tiers(
    kubes: list[Kube],
    seed: int,
    endings: Mapping[int, tuple[str, dt.date]],
    *,
    struggling: int = STRUGGLING_GROUPS,
    strong: int = STRONG_GROUPS,
) -> dict[int, str]:
    """Which groups do well and which struggle: a seeded draw among the working groups."""
    tiers: dict[int, str] = {}
    working = []
    for kube in kubes:
        ending_state = endings.get(kube.pk, (None, None))[0]
        if ending_state == KubeState.DISSOLVED:
            tiers[kube.pk] = FAILING
        elif ending_state == KubeState.GRADUATED or kube.state == KubeState.GRADUATED:
            tiers[kube.pk] = STRONG
        elif kube.state == KubeState.FUNDED:
            tiers[kube.pk] = STARTING
        elif kube.name == "KUBE Jagung Manis 8":
            tiers[kube.pk] = STRONG  # the study's readable example
        else:
            working.append(kube)
    rng = random.Random(f"{seed}:book-tiers")
    rng.shuffle(working)
    for kube in working[:struggling]:
        tiers[kube.pk] = STRUGGLING
    # Groups funded earliest have had the longest to find their market: most strong groups are among them.
    rest = sorted(working[struggling:], key=lambda k: (k.aid.order_by("paid_on").first().paid_on, k.name))
    early, later = rest[: strong // 2], rest[strong // 2 :]
    chosen = {k.pk for k in early + rng.sample(later, min(len(later), strong - len(early)))}
    for kube in rest:
        tiers[kube.pk] = STRONG if kube.pk in chosen else STEADY
    return tiers


def _treasurer_user(kube: Kube) -> User | None:
    treasurer = kube.officers.filter(role="bendahara", user__isnull=False).select_related("user").first()
    return treasurer.user if treasurer else None


def _plan_books(kube: Kube, *, tier: str, seed: int, end: dt.date, members_until: dt.date) -> _Plan:
    aid = kube.aid.order_by("paid_on", "id").first()
    assert aid is not None
    series = kube.name.removeprefix("KUBE ").rsplit(" ", 1)[0]
    trade = TRADES.get(series, TRADES[DEFAULT_TRADE])
    balances = dict(Account.objects.filter(kube=kube, code__in=bk.CASH_ACCOUNTS).values_list("code", "balance"))
    plan = _Plan(
        rng=random.Random(f"{seed}:books:{kube.region_id}:{kube.name}"),
        trade=trade,
        tier=tier,
        members=list(Membership.objects.filter(kube=kube).order_by("id")),
        start=aid.paid_on,
        end=end,
        members_until=members_until,
        kas=balances.get(bk.KAS, 0),
        bank=balances.get(bk.BANK, 0),
    )
    plan.draw_up()
    return plan


# ---- the plan of one KUBE -----------------------------------------------------------------------


@dataclass
class _Loan:
    ref: str
    member: Membership
    principal: int
    term: int
    fee: int  # jasa per instalment: the agreed percentage of the principal, each month
    outstanding: int


@dataclass
class _Plan:
    """One KUBE's books as they are drawn up: operations in posting order and the money they leave.

    Events go on an agenda (date, priority, order) and are carried out in that order, so every payment
    sees the cash the entries before it left; a payment the cash cannot cover first withdraws from the
    bank, and is cut down or dropped when the bank cannot cover it either.
    """

    rng: random.Random
    trade: _Trade
    tier: str
    members: list[Membership]
    start: dt.date
    end: dt.date
    members_until: dt.date
    kas: int
    bank: int
    ops: list[dict[str, Any]] = field(default_factory=list)
    agenda: list[tuple[dt.date, int, int, Callable[..., None], tuple]] = field(default_factory=list)
    savings: dict[int, int] = field(default_factory=dict)
    loans: dict[int, _Loan] = field(default_factory=dict)  # member pk -> their open loan
    iks: int = 0
    equipment: int = 0
    quarter_surplus: int = 0
    year_surplus: dict[int, int] = field(default_factory=dict)
    year_iks: dict[int, int] = field(default_factory=dict)
    flood: dt.date | None = None
    onset: float = 0.0  # struggling groups: months after the aid when sales start to fall
    drift: float = 0.0
    scale: float = 1.0
    loan_count: int = 0
    order: int = 0  # ties on the agenda keep the order events were scheduled in

    # -- the shape of the business over time --

    def months_in(self, day: dt.date) -> float:
        return (day - self.start).days / 30.4

    def health(self, day: dt.date) -> float:
        t = self.months_in(day)
        if self.tier == STRONG:
            return self.scale * (1.08 + 0.013 * t)
        if self.tier == STEADY:
            return self.scale * max(0.6, 1.0 + self.drift * t)
        if self.tier == STRUGGLING:
            return 0.92 if t < self.onset else max(0.25, 0.92 * 0.9 ** (t - self.onset))
        if self.tier == FAILING:
            return 0.0 if self.flood and day >= self.flood else 0.85 * 0.97**t
        return 0.0 if t < 1.5 else 0.45  # starting: trial sales after six weeks

    def planned_health(self, day: dt.date) -> float:
        """What the group buys for: a struggling group keeps buying for last season's sales."""
        if self.tier == STRUGGLING:
            return max(0.75, self.health(day - dt.timedelta(days=45)) * 1.05)
        if self.tier == FAILING:
            return self.health(day - dt.timedelta(days=30)) * 1.05
        return self.health(day)

    def season(self, day: dt.date) -> float:
        return self.trade.season.get(day.month, 1.0)

    def noise(self, spread: float = 0.15) -> float:
        return self.rng.uniform(1 - spread, 1 + spread)

    # -- drawing up --

    def draw_up(self) -> None:
        rng = self.rng
        self.savings = {m.pk: 0 for m in self.members}
        self.scale = rng.uniform(0.9, 1.15)
        self.drift = rng.uniform(-0.006, 0.012)
        self.onset = rng.uniform(3.5, 6.5)
        if self.tier == FAILING:
            self.flood = self.end - dt.timedelta(days=rng.randint(40, 55))
        self._schedule_start()
        self._schedule_business()
        self._schedule_months()
        while self.agenda:
            day, _priority, _order, action, args = heapq.heappop(self.agenda)
            if day <= self.end:
                action(day, *args)

    def at(self, day: dt.date, priority: int, action: Callable[..., None], *args: Any) -> None:
        if self.start <= day <= self.end:
            self.order += 1
            heapq.heappush(self.agenda, (day, priority, self.order, action, args))

    def _schedule_start(self) -> None:
        trade, rng = self.trade, self.rng
        day = self.start + dt.timedelta(days=rng.randint(2, 5))
        first = sum(cost for _text, cost in trade.equipment) + (trade.first_stock[1] if trade.first_stock else 0)
        self.at(day, BUY, self.withdraw, _round_up(first + 2_500_000, 1_000_000), "untuk belanja awal usaha")
        for offset, (text, cost) in enumerate(trade.equipment, start=1):
            self.at(day + dt.timedelta(days=offset), BUY, self.buy_equipment, text, _r(cost * self.noise(0.08)))
        if trade.first_stock:
            text, cost = trade.first_stock
            self.at(day + dt.timedelta(days=len(trade.equipment) + 1), BUY, self.spend, "purchase", text, cost)
        if self.tier in (STRONG, STEADY) and rng.random() < 0.5:
            amount = rng.choice((25_000, 50_000)) * len(self.members)
            self.at(
                day + dt.timedelta(days=rng.randint(3, 12)),
                SELL,
                self.receive,
                "own_capital",
                amount,
                "Setoran modal swadaya anggota",
            )

    def _schedule_business(self) -> None:
        trade, rng = self.trade, self.rng
        opened = self.start + dt.timedelta(days=rng.randint(9, 16))
        if self.tier == STARTING:
            opened += dt.timedelta(days=35)
        if trade.cycle_weeks:
            self._schedule_cycles(opened)
        else:
            self._schedule_weeks(opened)
        if trade.big_sale:
            text, amount, every = trade.big_sale
            day = bk.months_after(opened, every)
            while day <= self.end:
                self.at(day + dt.timedelta(days=rng.randint(0, 9)), SELL, self.sell_big, text, amount)
                day = bk.months_after(day, every)

    def _schedule_weeks(self, opened: dt.date) -> None:
        trade, rng = self.trade, self.rng
        week, index = opened, 0
        while week <= self.end:
            if index % trade.every_weeks == 0:
                # Buy on the market day for what the coming weeks should sell; sell through the week.
                self.at(week, BUY, self.restock, trade.every_weeks)
                for n in range(trade.sales_per_week):
                    day = week + dt.timedelta(days=(3 + 3 * n) if trade.sales_per_week > 1 else rng.randint(3, 6))
                    self.at(day, SELL, self.sell_week, trade.every_weeks / trade.sales_per_week)
            week += dt.timedelta(days=7)
            index += 1

    def _schedule_cycles(self, opened: dt.date) -> None:
        trade, rng = self.trade, self.rng
        cycle_start = opened
        while cycle_start <= self.end:
            harvest_day = cycle_start + dt.timedelta(weeks=trade.cycle_weeks - trade.harvest_weeks)
            planned = trade.harvest * self.season(harvest_day) * self.planned_health(cycle_start)
            for item in trade.inputs:
                for week in range(item.first_week, item.last_week + 1):
                    day = cycle_start + dt.timedelta(weeks=week, days=rng.randint(0, 2))
                    kind = "wages" if item.wages else "purchase"
                    self.at(day, BUY, self.spend, kind, item.text, _r(planned * item.share * self.noise(0.1)))
            for week in range(trade.harvest_weeks):
                day = harvest_day + dt.timedelta(weeks=week, days=rng.randint(0, 3))
                self.at(day, SELL, self.sell_harvest, week + 1)
            cycle_start += dt.timedelta(weeks=trade.cycle_weeks + rng.randint(0, 1))

    def _schedule_months(self) -> None:
        rng = self.rng
        month = _month_start(self.start)
        while month <= self.end:
            meeting = month + dt.timedelta(days=rng.randint(6, 17))
            if meeting > self.start + dt.timedelta(days=10):
                self.at(meeting, SELL, self.meeting_savings)
                self.at(meeting, MEMBERS, self.meeting_members)
            for text, amount in self.trade.running:
                self.at(
                    month + dt.timedelta(days=rng.randint(18, 26)),
                    RUNNING,
                    self.spend,
                    "expense",
                    text,
                    _r(amount * self.noise(0.25)),
                )
            if self.trade.wages and self.tier != STARTING:
                self.at(month + dt.timedelta(days=rng.randint(24, 27)), RUNNING, self.pay_wages)
            if rng.random() < 0.06:
                self.at(
                    month + dt.timedelta(days=rng.randint(1, 27)),
                    SELL,
                    self.receive,
                    "other_income",
                    _r(rng.uniform(50_000, 250_000)),
                    rng.choice(OTHER_INCOME),
                )
            if self.tier == FAILING and self.flood and month == _month_start(self.flood):
                self.at(
                    self.flood + dt.timedelta(days=3),
                    RUNNING,
                    self.spend,
                    "expense",
                    "Perbaikan kios dan peralatan setelah banjir",
                    650_000,
                )
            month_end = _month_end(month)
            self.at(month_end, DEPRECIATE, self.depreciate)
            if month.month in (3, 6, 9, 12):
                self.at(month_end, ALLOCATE, self.allocate_iks)
            self.at(month_end, DEPOSIT, self.deposit)
            month = _next_month(month)
        if self.tier == FAILING:
            day = self.end - dt.timedelta(days=rng.randint(3, 8))
            self.at(day, MEMBERS, self.return_savings)

    # -- posting, with the cash tracked --

    def post(self, kind: str, day: dt.date, amount: int, description: str, **extra: Any) -> None:
        operation = bk.OPERATIONS[kind]
        cash = extra.get("cash") or operation.default_cash
        fee = extra.get("fee", 0)
        if kind == "to_bank":
            self.kas, self.bank = self.kas - amount, self.bank + amount
        elif kind == "from_bank":
            self.kas, self.bank = self.kas + amount, self.bank - amount
        elif operation.debit == "cash":
            self._move(cash, amount + fee)
        elif operation.credit == "cash":
            self._move(cash, -amount)
        assert self.kas >= 0 and self.bank >= 0, (kind, day, amount)
        surplus = {
            "sale": amount,
            "other_income": amount,
            "purchase": -amount,
            "expense": -amount,
            "wages": -amount,
            "depreciation": -amount,
        }.get(kind, 0) + fee
        self.quarter_surplus += surplus
        self.year_surplus[day.year] = self.year_surplus.get(day.year, 0) + surplus
        self.ops.append({"kind": kind, "date": day, "amount": amount, "description": description[:200], **extra})

    def _move(self, cash: str, delta: int) -> None:
        if cash == bk.BANK:
            self.bank += delta
        else:
            self.kas += delta

    def withdraw(self, day: dt.date, amount: int, why: str = "") -> None:
        amount = min(amount, self.bank)
        if amount > 0:
            self.post("from_bank", day, amount, f"Tarik tunai dari rekening Bank Kalbar {why}".strip())

    def afford(self, day: dt.date, amount: int) -> bool:
        """Make sure Kas holds `amount`, withdrawing a round sum from the bank if it must."""
        if self.kas >= amount:
            return True
        if self.kas + self.bank < amount:
            return False
        # Withdraw enough to leave the usual cash on hand after paying, in a round sum.
        draw = min(self.bank, _round_up(amount - self.kas + CASH_ON_HAND, 500_000))
        self.withdraw(day, draw, "untuk belanja usaha")
        return self.kas >= amount

    def pay(
        self, kind: str, day: dt.date, amount: int, description: str, *, partial: bool = False, **extra: Any
    ) -> int:
        """Pay out of Kas; cut down to what there is when `partial`, else skip. Returns what was paid."""
        if amount <= 0:
            return 0
        if not self.afford(day, amount):
            if not partial:
                return 0
            self.afford(day, self.kas + self.bank)
            amount = (self.kas // 1000) * 1000
            if amount < 50_000:
                return 0
        self.post(kind, day, amount, description, **extra)
        return amount

    def receive(self, day: dt.date, kind: str, amount: int, description: str) -> None:
        if amount > 0:
            self.post(kind, day, amount, description)

    # -- the business --

    def buy_equipment(self, day: dt.date, text: str, cost: int) -> None:
        self.equipment += self.pay("equipment", day, cost, text)

    def spend(self, day: dt.date, kind: str, text: str, amount: int) -> None:
        if self.flood and day >= self.flood and kind != "expense":
            return
        self.pay(kind, day, amount, text, partial=True)

    def restock(self, day: dt.date, weeks: int) -> None:
        trade = self.trade
        planned = trade.weekly * weeks * self.season(day) * self.planned_health(day)
        amount = _r(planned * trade.cost_ratio * self.noise(0.12))
        if amount > 0:
            self.pay("purchase", day, amount, self.rng.choice(trade.purchase_text), partial=True)

    def sell_week(self, day: dt.date, weeks: float) -> None:
        amount = _r(self.trade.weekly * weeks * self.season(day) * self.health(day) * self.noise(0.2), 5_000)
        self.receive(day, "sale", amount, self.rng.choice(self.trade.sale_text))

    def sell_harvest(self, day: dt.date, week: int) -> None:
        trade = self.trade
        share = (0.3, 0.45, 0.25, 0.0)[week - 1] if trade.harvest_weeks == 3 else 1 / trade.harvest_weeks
        amount = _r(trade.harvest * share * self.season(day) * self.health(day) * self.noise(0.15), 5_000)
        self.receive(day, "sale", amount, f"{self.rng.choice(trade.sale_text)} (panen minggu ke-{week})")

    def sell_big(self, day: dt.date, text: str, amount: int) -> None:
        if self.health(day) > 0:
            self.receive(day, "sale", _r(amount * self.noise(0.15) * min(1.2, self.health(day)), 50_000), text)

    def pay_wages(self, day: dt.date) -> None:
        if self.health(day) <= 0:
            return
        busy = self.season(day) >= 1.3
        amount = _r(self.trade.wages * (1.6 if busy else 1.0) * min(1.2, self.health(day)) * self.noise(0.1))
        self.pay("wages", day, amount, f"{self.trade.wage_text} bulan {_month_name(day)}", partial=True)

    def depreciate(self, day: dt.date) -> None:
        # Equipment wears out over four years; the month it was bought is not depreciated.
        amount = _r(self.equipment / 48)
        if amount > 0 and day > self.start + dt.timedelta(days=20):
            self.post("depreciation", day, amount, f"Penyusutan peralatan bulan {_month_name(day)}")

    def allocate_iks(self, day: dt.date) -> None:
        percent = int(getattr(settings, "BERDAYA", {}).get("IKS_PERCENT", 10))
        amount = _r(self.quarter_surplus * percent / 100)
        self.quarter_surplus = 0
        if amount > 0:
            quarter = ("I", "II", "III", "IV")[(day.month - 1) // 3]
            self.post("iks_allocation", day, amount, f"Alokasi IKS {percent}% dari SHU triwulan {quarter} {day.year}")
            self.iks += amount
            self.year_iks[day.year] = self.year_iks.get(day.year, 0) + amount

    def deposit(self, day: dt.date) -> None:
        # Not in the first weeks: the money drawn for the first purchases is still being spent.
        if self.kas > CASH_ON_HAND + 1_000_000 and day > self.start + dt.timedelta(days=30):
            amount = ((self.kas - CASH_ON_HAND) // 500_000) * 500_000
            self.post("to_bank", day, amount, "Setor kelebihan kas ke rekening Bank Kalbar")

    # -- the members --

    def members_meet(self, day: dt.date) -> bool:
        return day <= self.members_until and not (self.flood and day >= self.flood)

    def meeting_savings(self, day: dt.date) -> None:
        """Simpanan wajib from each member at the monthly meeting, and now and then simpanan sukarela."""
        if not self.members_meet(day):
            return
        rng = self.rng
        dues = 20_000 if len(self.members) < 10 else 15_000
        skip = {STRONG: 0.03, STEADY: 0.08, STARTING: 0.05}.get(self.tier, 0.12)
        if self.tier == STRUGGLING and self.months_in(day) > self.onset:
            skip = 0.35
        for member in self.members:
            if rng.random() < skip:
                continue
            amount = dues + (rng.choice((25_000, 50_000, 100_000)) if rng.random() < 0.12 else 0)
            kind_text = "Simpanan wajib" if amount == dues else "Simpanan wajib dan sukarela"
            self.post("savings_in", day, amount, f"{kind_text} bulan {_month_name(day)}", member=member.pk)
            self.savings[member.pk] += amount

    def meeting_members(self, day: dt.date) -> None:
        """Loans, savings withdrawals, IKS help and the SHU, decided at the monthly meeting."""
        rng = self.rng
        self._shu(day)
        if not self.members_meet(day) or self.tier == STARTING:
            return
        for member in self.members:
            held = self.savings[member.pk]
            if held >= 250_000 and rng.random() < 0.03:
                amount = _r(held * rng.uniform(0.3, 0.6), 10_000)
                self.savings[member.pk] -= self.pay(
                    "savings_out", day, amount, "Pengambilan simpanan sukarela", member=member.pk
                )
        if self.iks >= 300_000 and rng.random() < 0.12:
            member = rng.choice(self.members)
            amount = min(self.iks, rng.choice((250_000, 300_000, 500_000)))
            why = rng.choice(IKS_NEEDS)
            if self.pay("iks_payout", day, amount, f"Santunan IKS: {why}", member=member.pk):
                self.iks -= amount
        self._lend(day)

    def _shu(self, day: dt.date) -> None:
        """The strongest groups share out 2025's SHU at the January meeting, after the year is closed."""
        if self.tier != STRONG or (day.year, day.month) != (2026, 1):
            return
        net = self.year_surplus.get(2025, 0) - self.year_iks.get(2025, 0)
        amount = _r(net * 0.4, 10_000)
        if amount >= 300_000 and self.kas + self.bank - amount >= FUND_RESERVE:
            self.pay(
                "shu_distribution",
                day,
                amount,
                f"Pembagian SHU tahun 2025 kepada {len(self.members)} anggota (40% dari SHU bersih)",
            )

    def _lend(self, day: dt.date) -> None:
        rng = self.rng
        months = self.months_in(day)
        if months < 1.5 or day > self.members_until - dt.timedelta(days=20):
            return
        chance = {STRONG: 0.45, STEADY: 0.35, STRUGGLING: 0.3, FAILING: 0.3}[self.tier]
        # A struggling group's first loan is always made early, and goes bad: PAR > 30 days shows on its page.
        forced = self.tier == STRUGGLING and self.loan_count == 0 and months >= 2.5
        if not forced and rng.random() >= chance:
            return
        borrowers = [m for m in self.members if m.pk not in self.loans]
        if not borrowers:
            return
        member = rng.choice(borrowers)
        wanted = rng.choice(LOAN_SIZES)
        term = rng.randint(3, 5) if wanted <= 750_000 else rng.randint(5, 10)
        principal = _r(wanted / term, 25_000) * term  # instalments of a round sum
        if self.kas + self.bank - principal < FUND_RESERVE:
            return
        self.loan_count += 1
        ref = f"L{self.loan_count}"
        loan = _Loan(ref, member, principal, term, fee=_r(principal / 100, 500), outstanding=principal)
        purpose = rng.choice(LOAN_PURPOSES)
        if not self.pay(
            "loan_out",
            day,
            principal,
            f"Pinjaman anggota: {purpose}",
            member=member.pk,
            loan_ref=ref,
            term_months=term,
            first_due_on=bk.months_after(day, 1),
            fee_percent=1,
        ):
            return
        self.loans[member.pk] = loan
        self._schedule_repayments(day, loan, forced)

    def _schedule_repayments(self, day: dt.date, loan: _Loan, forced: bool) -> None:
        """When the member pays each instalment: on time, late, or not any more."""
        rng = self.rng
        schedule = bk.loan_schedule(loan.principal, loan.term, bk.months_after(day, 1))
        behaviour = "on_time"
        if forced:
            behaviour = "stops"
        elif self.tier == STEADY and rng.random() < 0.2:
            behaviour = "late"
        elif self.tier == STRUGGLING:
            behaviour = "stops" if rng.random() < 0.5 else "late"
        elif self.tier == FAILING:
            behaviour = "late"
        paid_instalments = len(schedule)
        if behaviour == "stops":
            paid_instalments = rng.randint(1, 2) if forced else rng.randint(0, max(0, loan.term // 2))
        for number, (due, amount) in enumerate(schedule[:paid_instalments], start=1):
            if behaviour == "late":
                when = due + dt.timedelta(days=rng.randint(5, 25))
            else:
                when = due - dt.timedelta(days=rng.randint(0, 4))
            self.at(when, SELL, self.repay, loan, number, amount)

    def repay(self, day: dt.date, loan: _Loan, number: int, amount: int) -> None:
        if self.flood and day >= self.flood:
            return  # after the flood nobody in the group could pay
        self.post(
            "repayment",
            day,
            amount,
            f"Angsuran ke-{number} dari {loan.term} dan jasa pinjaman",
            fee=loan.fee,
            member=loan.member.pk,
            loan_ref=loan.ref,
        )
        loan.outstanding -= amount
        if loan.outstanding == 0 and self.loans.get(loan.member.pk) is loan:
            del self.loans[loan.member.pk]

    def return_savings(self, day: dt.date) -> None:
        """A group about to dissolve hands every member back their savings."""
        for member in self.members:
            held = self.savings[member.pk]
            if held > 0 and self.pay(
                "savings_out", day, held, "Pengembalian simpanan karena KUBE dibubarkan", member=member.pk
            ):
                self.savings[member.pk] = 0


OTHER_INCOME = (
    "Sewa peralatan ke kelompok tetangga",
    "Penjualan karung dan kemasan bekas",
    "Hadiah lomba UMKM kelurahan",
)
IKS_NEEDS = (
    "anggota sakit dan dirawat",
    "duka cita keluarga anggota",
    "rumah anggota terkena banjir",
    "biaya sekolah anak anggota",
)
LOAN_PURPOSES = ("modal dagang", "biaya sekolah anak", "perbaikan rumah", "modal usaha sampingan", "biaya berobat")


# ---- dates and amounts --------------------------------------------------------------------------


def _r(value: float, unit: int = 1000) -> int:
    """Round to a sum a treasurer would write down (whole thousands by default); never negative."""
    return max(0, int(round(value / unit)) * unit)


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _month_end(day: dt.date) -> dt.date:
    return _next_month(day) - dt.timedelta(days=1)


def _month_name(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"
