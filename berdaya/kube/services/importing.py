"""Importing existing KUBEs from CSV/XLSX (one row per member family): all of them or none.

Every row is checked first and every problem reported with line, column, value and an Indonesian
reason, the way the DTKS import reports them. Only a clean file is written, and it is written
through the lifecycle services (kube_create, officers_set, kube_verify, kube_establish, aid_record,
kube_activate), so a KUBE imported as established passes the same guards as one established by
hand. A dry run walks the same services and rolls everything back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from berdaya.core.models import Region, User
from berdaya.core.scoping import code_in_scope
from berdaya.core.services import audit_record
from berdaya.engine import RuleSet
from berdaya.engine.masking import mask_id
from berdaya.engine.regions import RegionCodeError, normalize_code
from berdaya.kube.models import Aid, Kube, KubeState, Membership
from berdaya.kube.selectors import can_manage_kubes
from berdaya.kube.services.lifecycle import (
    KubeError,
    aid_record,
    kube_activate,
    kube_create,
    kube_establish,
    kube_verify,
    officers_set,
)
from berdaya.registry.models import Family, Person
from berdaya.registry.services.common import default_ruleset

COLUMNS = (
    "nama_kube",
    "kode_wilayah",
    "jenis_usaha",
    "no_kk",
    "peran",
    "nik",
    "status",
    "tanggal_bentuk",
    "tanggal_musyawarah",
    "bank",
    "no_rekening",
    "no_sk",
    "tanggal_sk",
    "bantuan_jumlah",
    "bantuan_tanggal",
    "bantuan_referensi",
)
REQUIRED = ("nama_kube", "kode_wilayah", "no_kk")
# Values that describe the KUBE, not the member: every row of one KUBE must agree on them.
KUBE_FIELDS = (
    "jenis_usaha",
    "status",
    "tanggal_bentuk",
    "tanggal_musyawarah",
    "bank",
    "no_rekening",
    "no_sk",
    "tanggal_sk",
    "bantuan_jumlah",
    "bantuan_tanggal",
    "bantuan_referensi",
)
DATE_FIELDS = ("tanggal_bentuk", "tanggal_musyawarah", "tanggal_sk", "bantuan_tanggal")
MAX_LENGTHS = {"nama_kube": 120, "jenis_usaha": 60, "bank": 80, "no_rekening": 40, "no_sk": 80, "bantuan_referensi": 80}
ROLES = ("ketua", "sekretaris", "bendahara")
MEMBER = "anggota"
STATUSES = {
    "diusulkan": KubeState.PROPOSED,
    "proposed": KubeState.PROPOSED,
    "terverifikasi": KubeState.VERIFIED,
    "verified": KubeState.VERIFIED,
    "ditetapkan": KubeState.ESTABLISHED,
    "ditetapkan (sk)": KubeState.ESTABLISHED,
    "established": KubeState.ESTABLISHED,
    "menerima bantuan": KubeState.FUNDED,
    "menerima bantuan uep": KubeState.FUNDED,
    "funded": KubeState.FUNDED,
    "aktif": KubeState.ACTIVE,
    "active": KubeState.ACTIVE,
}
ORDER = (KubeState.PROPOSED, KubeState.VERIFIED, KubeState.ESTABLISHED, KubeState.FUNDED, KubeState.ACTIVE)
HEADER_SEARCH_ROWS = 30
_AMOUNT = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d+)(?:,00|\.00)?$", re.IGNORECASE)


class KubeImportFileError(ValueError):
    """The file as a whole cannot be used (missing, unreadable, missing columns, no rows)."""


@dataclass
class KubeImportResult:
    """What an import did: `status` is applied, refused or dry_run; `problems` are row-level."""

    file_name: str
    status: str = "refused"
    counts: dict = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    error: str = ""
    kube_ids: list[int] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.status == "refused"


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    numeric: set[str] = field(default_factory=set)  # columns Excel stored as numbers
    bad: set[str] = field(default_factory=set)  # columns given but unreadable (already reported)
    family: Family | None = None
    person: Person | None = None
    role: str = MEMBER


@dataclass
class _Plan:
    """One KUBE to create: its rows and the values all of them agree on."""

    name: str
    region: Region
    rows: list[_Row] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # parsed KUBE_FIELDS
    lines: dict = field(default_factory=dict)  # field -> line where it was first given

    @property
    def bad(self) -> set[str]:
        return {column for row in self.rows for column in row.bad}

    @property
    def first_line(self) -> int:
        return self.rows[0].line

    @property
    def families(self) -> list[Family]:
        seen: dict[int, Family] = {}
        for row in self.rows:
            if row.family is not None:
                seen.setdefault(row.family.pk, row.family)
        return list(seen.values())


def _problem(line, column, value, code, reason) -> dict:
    return {"line": line, "column": column, "value": value, "reason_code": code, "reason": reason}


# Reading ---------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "_", str(text or "").strip().lower())


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(raw: list[tuple[int, list]]) -> tuple[int, list[str], list[tuple[int, list]]]:
    """Find the header (a row naming nama_kube and no_kk; title rows above it are skipped)."""
    for index, (line, cells) in enumerate(raw[:HEADER_SEARCH_ROWS]):
        keys = [_header_key(_cell(c)) for c in cells]
        if "nama_kube" in keys and "no_kk" in keys:
            return line, keys, raw[index + 1 :]
    first = next(([_cell(c) for c in cells] for _line, cells in raw if any(_cell(c) for c in cells)), [])
    missing = [c for c in REQUIRED if c not in [_header_key(c) for c in first]]
    raise KubeImportFileError(
        _("kolom wajib tidak ada: %(missing)s. Kolom yang ditemukan: %(found)s.")
        % {"missing": ", ".join(missing), "found": ", ".join(c for c in first if c) or _("(kosong)")}
    )


def _read(path: Path) -> tuple[list[str], list[_Row]]:
    if not path.is_file() or path.stat().st_size == 0:
        raise KubeImportFileError(_("berkas tidak ditemukan atau kosong"))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = _read_csv(path)
    elif suffix == ".xlsx":
        raw = _read_xlsx(path)
    else:
        raise KubeImportFileError(
            _("jenis berkas '%(suffix)s' tidak didukung; gunakan CSV atau XLSX") % {"suffix": suffix}
        )
    header_line, keys, body = _table(raw)
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise KubeImportFileError(_("kolom wajib tidak ada: %(missing)s") % {"missing": ", ".join(missing)})
    rows = []
    for line, cells in body:
        if not any(_cell(c) for c in cells):
            continue  # blank lines are layout, not data
        values, numeric = {}, set()
        for key, cell in zip(keys, cells, strict=False):
            if key in COLUMNS and key not in values:  # the first of a repeated header wins
                values[key] = _cell(cell)
                if isinstance(cell, int | float) and not isinstance(cell, bool):
                    numeric.add(key)
        rows.append(_Row(line=line, values={c: values.get(c, "") for c in COLUMNS}, numeric=numeric))
    if not rows:
        raise KubeImportFileError(
            _("berkas hanya berisi judul kolom, tanpa baris data (baris %(line)d)") % {"line": header_line}
        )
    return keys, rows


def _read_csv(path: Path) -> list[tuple[int, list]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise KubeImportFileError(_("berkas bukan UTF-8: %(error)s") % {"error": error}) from error
    try:
        delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    raw = []
    for cells in reader:
        # line_num is the line the record ends on; a record spanning lines is rare in these files.
        raw.append((reader.line_num, cells))
    return raw


def _read_xlsx(path: Path) -> list[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise KubeImportFileError(_("berkas XLSX tidak dapat dibuka: %(error)s") % {"error": error}) from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a stale <dimension> would make read-only mode stop early
        return [(line, list(cells)) for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()


# Parsing ---------------------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    """YYYY-MM-DD, or DD-MM-YYYY / DD/MM/YYYY as Indonesian forms write it. Raises ValueError."""
    text = text.strip()
    match = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", text)
    if match:
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    return dt.date.fromisoformat(text)


def _amount(text: str) -> int:
    match = _AMOUNT.match(text.strip().replace(" ", ""))
    if not match:
        raise ValueError(text)
    return int(re.sub(r"[.,]", "", match[1]))


def _check_rows(rows: list[_Row], actor: User | None, ruleset: RuleSet) -> tuple[list[_Plan], list[dict]]:
    """Row-level checks, then the KUBE-level ones. Returns the plans and every problem found."""
    problems: list[dict] = []
    add = problems.append
    codes = set()
    for row in rows:
        v = row.values
        for column in ("no_kk", "nik"):
            if column in row.numeric:
                add(
                    _problem(
                        row.line,
                        column,
                        v[column],
                        "EXCEL_NUMBER",
                        _("disimpan Excel sebagai angka (digit bisa hilang); format kolom sebagai Teks"),
                    )
                )
                row.bad.add(column)
                v[column] = ""
        for column in REQUIRED:
            if not v[column] and column not in row.bad:
                add(_problem(row.line, column, "", "REQUIRED", _("wajib diisi")))
        for column, limit in MAX_LENGTHS.items():
            if len(v[column]) > limit:
                add(
                    _problem(
                        row.line, column, v[column][:60], "TOO_LONG", _("lebih dari %(n)d karakter") % {"n": limit}
                    )
                )
        if v["kode_wilayah"]:
            try:
                v["kode_wilayah"] = normalize_code(v["kode_wilayah"])
                codes.add(v["kode_wilayah"])
            except RegionCodeError:
                add(
                    _problem(
                        row.line,
                        "kode_wilayah",
                        v["kode_wilayah"],
                        "BAD_REGION",
                        _("bukan kode wilayah Kemendagri (mis. 61.71.04.1001)"),
                    )
                )
                row.bad.add("kode_wilayah")
                v["kode_wilayah"] = ""
        role = v["peran"].strip().lower() or MEMBER
        if role not in (*ROLES, MEMBER):
            add(
                _problem(
                    row.line,
                    "peran",
                    v["peran"],
                    "BAD_ROLE",
                    _("peran harus ketua, sekretaris, bendahara atau anggota"),
                )
            )
        row.role = role
        status = re.sub(r"\s+", " ", v["status"].strip().lower())
        if status and status not in STATUSES:
            add(
                _problem(
                    row.line,
                    "status",
                    v["status"],
                    "BAD_STATUS",
                    _("status harus diusulkan, terverifikasi, ditetapkan, menerima bantuan atau aktif"),
                )
            )
            row.bad.add("status")
        # Values are stored in one form so that rows of one KUBE are compared by meaning, not spelling.
        v["status"] = str(STATUSES.get(status, ""))
        for column in DATE_FIELDS:
            if v[column]:
                try:
                    v[column] = _date(v[column]).isoformat()
                except ValueError:
                    add(
                        _problem(
                            row.line,
                            column,
                            v[column],
                            "BAD_DATE",
                            _("tanggal tidak valid; tulis YYYY-MM-DD atau DD-MM-YYYY"),
                        )
                    )
                    row.bad.add(column)
                    v[column] = ""
        if v["bantuan_jumlah"]:
            try:
                amount = _amount(v["bantuan_jumlah"])
                if amount <= 0:
                    raise ValueError
                v["bantuan_jumlah"] = str(amount)
            except ValueError:
                add(
                    _problem(
                        row.line,
                        "bantuan_jumlah",
                        v["bantuan_jumlah"],
                        "BAD_AMOUNT",
                        _("jumlah bantuan harus bilangan rupiah lebih dari 0 (mis. 20000000)"),
                    )
                )
                row.bad.add("bantuan_jumlah")
                v["bantuan_jumlah"] = ""

    regions = Region.objects.in_bulk(codes)
    _check_regions(rows, regions, actor, add)
    _check_families(rows, actor, add)
    _check_persons(rows, add)
    plans = _plans(rows, regions, problems)
    for plan in plans:
        _check_plan(plan, ruleset, add)
    _check_across(plans, add)
    problems.sort(key=lambda p: (p["line"] or 0, COLUMNS.index(p["column"]) if p["column"] in COLUMNS else 99))
    return plans, problems


def _check_regions(rows, regions, actor, add) -> None:
    for row in rows:
        code = row.values["kode_wilayah"]
        if not code:
            continue
        region = regions.get(code)
        if region is None:
            add(_problem(row.line, "kode_wilayah", code, "UNKNOWN_REGION", _("kode wilayah tidak dikenal")))
        elif actor is not None and not code_in_scope(actor, code):
            add(
                _problem(
                    row.line,
                    "kode_wilayah",
                    code,
                    "OUT_OF_SCOPE",
                    _("di luar wilayah Anda (%(scope)s)") % {"scope": actor.region_prefix},
                )
            )
        elif region.level != Region.Level.DESA:
            add(
                _problem(
                    row.line,
                    "kode_wilayah",
                    code,
                    "NOT_VILLAGE",
                    _("KUBE dibentuk di satu desa/kelurahan; kode ini %(level)s")
                    % {"level": region.get_level_display()},
                )
            )


def _check_families(rows, actor, add) -> None:
    numbers = {r.values["no_kk"] for r in rows if r.values["no_kk"]}
    families = {f.no_kk: f for f in Family.objects.filter(no_kk__in=numbers)}
    live = {
        m.family_id: m.kube.name
        for m in Membership.objects.filter(family__no_kk__in=numbers, live=True).select_related("kube")
    }
    first_row: dict[str, _Row] = {}
    for row in rows:
        v = row.values
        if not v["no_kk"]:
            continue
        shown = mask_id(v["no_kk"])
        family = families.get(v["no_kk"])
        if family is None or (actor is not None and not code_in_scope(actor, family.region_id)):
            # A family outside the importer's region is not named: it is "unknown" to them.
            add(
                _problem(
                    row.line,
                    "no_kk",
                    shown,
                    "UNKNOWN_NO_KK",
                    _("No KK tidak ada di registri wilayah Anda (impor DTKS dahulu)"),
                )
            )
            continue
        row.family = family
        if v["kode_wilayah"] and family.region_id != v["kode_wilayah"]:
            add(
                _problem(
                    row.line,
                    "no_kk",
                    shown,
                    "OTHER_VILLAGE",
                    _("keluarga ini tinggal di %(village)s, bukan di %(code)s")
                    % {"village": family.region_id or "-", "code": v["kode_wilayah"]},
                )
            )
        if family.pk in live:
            add(
                _problem(
                    row.line,
                    "no_kk",
                    shown,
                    "IN_LIVE_KUBE",
                    _("keluarga ini sudah anggota %(kube)s; satu keluarga hanya di satu KUBE aktif")
                    % {"kube": live[family.pk]},
                )
            )
        earlier = first_row.get(v["no_kk"])
        if earlier is None:
            first_row[v["no_kk"]] = row
            continue
        same_kube = (earlier.values["kode_wilayah"], earlier.values["nama_kube"]) == (v["kode_wilayah"], v["nama_kube"])
        # A family may appear twice in its own KUBE only to name a second officer from it.
        if not same_kube:
            add(
                _problem(
                    row.line,
                    "no_kk",
                    shown,
                    "DUPLICATE_NO_KK",
                    _("keluarga yang sama juga ada di KUBE lain (baris %(line)d)") % {"line": earlier.line},
                )
            )
        elif row.role == MEMBER:
            add(
                _problem(
                    row.line,
                    "no_kk",
                    shown,
                    "DUPLICATE_NO_KK",
                    _("keluarga yang sama sudah ada di baris %(line)d") % {"line": earlier.line},
                )
            )


def _check_persons(rows, add) -> None:
    niks = {r.values["nik"] for r in rows if r.values["nik"] and r.role in ROLES}
    persons = {p.nik: p for p in Person.objects.filter(nik__in=niks)}
    for row in rows:
        if row.role not in ROLES:
            continue
        nik = row.values["nik"]
        if not nik:
            add(
                _problem(
                    row.line,
                    "nik",
                    "",
                    "MISSING_NIK",
                    _("NIK pemegang peran %(role)s wajib diisi") % {"role": row.role},
                )
            )
            continue
        person = persons.get(nik)
        if person is None:
            add(_problem(row.line, "nik", mask_id(nik), "UNKNOWN_NIK", _("NIK tidak ada di registri")))
        elif row.family is not None and person.family_id != row.family.pk:
            add(
                _problem(
                    row.line,
                    "nik",
                    mask_id(nik),
                    "NIK_OTHER_FAMILY",
                    _("orang dengan NIK ini bukan anggota keluarga No KK di baris ini"),
                )
            )
        else:
            row.person = person


def _plans(rows, regions, problems) -> list[_Plan]:
    plans: dict[tuple[str, str], _Plan] = {}
    for row in rows:
        v = row.values
        region = regions.get(v["kode_wilayah"])
        if not v["nama_kube"] or region is None:
            continue
        plan = plans.setdefault(
            (region.code, v["nama_kube"].strip()), _Plan(name=v["nama_kube"].strip(), region=region)
        )
        plan.rows.append(row)
        for column in KUBE_FIELDS:
            value = v[column]
            if not value:
                continue
            if column not in plan.lines:
                plan.lines[column] = row.line
                plan.values[column] = value
            elif plan.values[column] != value:
                problems.append(
                    _problem(
                        row.line,
                        column,
                        value,
                        "INCONSISTENT",
                        _("berbeda dengan baris %(line)d (%(value)s) untuk KUBE yang sama")
                        % {"line": plan.lines[column], "value": plan.values[column]},
                    )
                )
    return list(plans.values())


def _parsed(plan: _Plan, column: str):
    value = plan.values.get(column, "")
    if not value:
        return None
    try:
        if column in DATE_FIELDS:
            return _date(value)
        if column == "bantuan_jumlah":
            return _amount(value)
    except ValueError:
        return None  # already reported on its row
    return value


def _check_plan(plan: _Plan, ruleset: RuleSet, add) -> None:
    if "status" in plan.bad and not plan.values.get("status"):
        return  # the stated status is unreadable: the checks below would only guess
    state = plan.values.get("status") or KubeState.PROPOSED
    plan.values["status"] = state
    line = plan.first_line
    label = str(KubeState(state).label)
    if Kube.objects.filter(region=plan.region, name=plan.name).exists():
        add(
            _problem(
                line,
                "nama_kube",
                plan.name,
                "KUBE_EXISTS",
                _("nama KUBE ini sudah dipakai di %(village)s") % {"village": plan.region.name},
            )
        )
    step = ORDER.index(state)
    officers: dict[str, _Row] = {}
    for row in plan.rows:
        if row.role in ROLES:
            if row.role in officers:
                add(
                    _problem(
                        row.line,
                        "peran",
                        row.role,
                        "DUPLICATE_ROLE",
                        _("peran %(role)s sudah diisi di baris %(line)d")
                        % {"role": row.role, "line": officers[row.role].line},
                    )
                )
            else:
                officers[row.role] = row
    people = [r.values["nik"] for r in officers.values() if r.values["nik"]]
    if len(people) != len(set(people)):
        add(_problem(line, "nik", "", "SAME_PERSON", _("ketua, sekretaris dan bendahara harus tiga orang berbeda")))
    missing = [role for role in ROLES if role not in officers]
    if missing and (step >= 1 or len(missing) < len(ROLES)):
        add(
            _problem(
                line,
                "peran",
                "",
                "MISSING_OFFICER",
                _("%(name)s (%(state)s) belum punya %(missing)s; pengurus harus lengkap")
                % {"name": plan.name, "state": label, "missing": ", ".join(missing)},
            )
        )
    size = len(plan.families)
    if step >= 1:
        if not ruleset.group_size_min <= size <= ruleset.group_size_max:
            add(
                _problem(
                    line,
                    "no_kk",
                    str(size),
                    "SIZE",
                    _(
                        "%(name)s beranggota %(size)d KK; aturan %(rules)s meminta %(min)d–%(max)d KK untuk "
                        "status %(state)s"
                    )
                    % {
                        "name": plan.name,
                        "size": size,
                        "rules": ruleset.name,
                        "min": ruleset.group_size_min,
                        "max": ruleset.group_size_max,
                        "state": label,
                    },
                )
            )
        for column in ("tanggal_musyawarah", "bank", "no_rekening"):
            if not plan.values.get(column) and column not in plan.bad:
                add(
                    _problem(
                        line, column, "", "REQUIRED", _("wajib diisi untuk KUBE berstatus %(state)s") % {"state": label}
                    )
                )
    if step >= 2:
        for column in ("no_sk", "tanggal_sk"):
            if not plan.values.get(column) and column not in plan.bad:
                add(
                    _problem(
                        line, column, "", "REQUIRED", _("wajib diisi untuk KUBE berstatus %(state)s") % {"state": label}
                    )
                )
        number = plan.values.get("no_sk", "")
        if number and Kube.objects.filter(decree_number=number).exists():
            add(
                _problem(
                    plan.lines["no_sk"], "no_sk", number, "DUPLICATE_DECREE", _("nomor SK ini sudah dipakai KUBE lain")
                )
            )
        decree, meeting = _parsed(plan, "tanggal_sk"), _parsed(plan, "tanggal_musyawarah")
        if decree and meeting and decree < meeting:
            add(
                _problem(
                    plan.lines["tanggal_sk"],
                    "tanggal_sk",
                    plan.values["tanggal_sk"],
                    "DATE_ORDER",
                    _("tanggal SK tidak boleh sebelum tanggal musyawarah (%(date)s)")
                    % {"date": plan.values["tanggal_musyawarah"]},
                )
            )
    if step >= 3:
        for column in ("bantuan_jumlah", "bantuan_tanggal", "bantuan_referensi"):
            if not plan.values.get(column) and column not in plan.bad:
                add(
                    _problem(
                        line, column, "", "REQUIRED", _("wajib diisi untuk KUBE berstatus %(state)s") % {"state": label}
                    )
                )
        reference = plan.values.get("bantuan_referensi", "")
        if reference and Aid.objects.filter(reference=reference).exists():
            add(
                _problem(
                    plan.lines["bantuan_referensi"],
                    "bantuan_referensi",
                    reference,
                    "DUPLICATE_REFERENCE",
                    _("referensi pembayaran ini sudah tercatat"),
                )
            )
        paid, decree = _parsed(plan, "bantuan_tanggal"), _parsed(plan, "tanggal_sk")
        if paid and decree and paid < decree:
            add(
                _problem(
                    plan.lines["bantuan_tanggal"],
                    "bantuan_tanggal",
                    plan.values["bantuan_tanggal"],
                    "DATE_ORDER",
                    _("bantuan tidak boleh dibayar sebelum tanggal SK (%(date)s)")
                    % {"date": plan.values["tanggal_sk"]},
                )
            )


def _check_across(plans: list[_Plan], add) -> None:
    """Decree numbers and aid references are unique across the file too."""
    for column, code, reason in (
        ("no_sk", "DUPLICATE_DECREE", _("nomor SK yang sama dipakai KUBE lain di baris %(line)d")),
        ("bantuan_referensi", "DUPLICATE_REFERENCE", _("referensi yang sama dipakai KUBE lain di baris %(line)d")),
    ):
        seen: dict[str, int] = {}
        for plan in plans:
            value = plan.values.get(column, "")
            if not value:
                continue
            if value in seen:
                add(_problem(plan.lines[column], column, value, code, reason % {"line": seen[value]}))
            else:
                seen[value] = plan.lines[column]


# Writing ---------------------------------------------------------------------------------------


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run or a KUBE that a service refused."""


def _walk(plan: _Plan, actor: User | None, ruleset: RuleSet, file_name: str) -> Kube:
    """Create one KUBE through the lifecycle services and walk it to its stated status."""
    state = plan.values["status"]
    step = ORDER.index(state)
    formed_on = _parsed(plan, "tanggal_bentuk")
    meeting_on = _parsed(plan, "tanggal_musyawarah")
    reason = _("Impor KUBE yang sudah ada dari %(file)s") % {"file": file_name}
    kube = kube_create(
        actor=actor,
        name=plan.name,
        region=plan.region,
        families=plan.families,
        business_type=_business_type(plan.values.get("jenis_usaha", ""), ruleset),
        formed_on=formed_on,
        reason=reason,
    )
    officers = {row.role: row.person for row in plan.rows if row.role in ROLES and row.person is not None}
    if len(officers) == len(ROLES):
        officers_set(
            actor=actor,
            kube=kube,
            chair=officers["ketua"],
            secretary=officers["sekretaris"],
            treasurer=officers["bendahara"],
            since=meeting_on or formed_on,
        )
    if step >= 1:
        kube = kube_verify(
            actor=actor,
            kube=kube,
            musyawarah_on=meeting_on,
            bank_name=plan.values["bank"],
            bank_account=plan.values["no_rekening"],
            ruleset=ruleset,
            reason=reason,
        )
    if step >= 2:
        kube = kube_establish(
            actor=actor,
            kube=kube,
            decree_number=plan.values["no_sk"],
            decree_date=_parsed(plan, "tanggal_sk"),
            ruleset=ruleset,
            reason=reason,
        )
    if step >= 3:
        aid_record(
            actor=actor,
            kube=kube,
            amount=_parsed(plan, "bantuan_jumlah"),
            paid_on=_parsed(plan, "bantuan_tanggal"),
            reference=plan.values["bantuan_referensi"],
        )
    if step >= 4:
        # The file has no start date of the business; the aid's date is the closest fact it gives.
        kube = kube_activate(actor=actor, kube=kube, on=_parsed(plan, "bantuan_tanggal"), reason=reason)
    return kube


def _business_type(text: str, ruleset: RuleSet) -> str:
    """A known synonym becomes its canonical type (`bertani` -> pertanian); anything else is kept as written."""
    return ruleset.skill_synonyms.get(text.strip().lower()) or text.strip()


def kube_import(
    *,
    actor: User | None,
    path: Path | str,
    file_name: str | None = None,
    dry_run: bool = False,
    ruleset: RuleSet | None = None,
) -> KubeImportResult:
    """Import existing KUBEs from a CSV or XLSX file of member rows, all of them or none.

    Columns: nama_kube, kode_wilayah, jenis_usaha, no_kk, peran, nik, status, tanggal_bentuk,
    tanggal_musyawarah, bank, no_rekening, no_sk, tanggal_sk, bantuan_jumlah, bantuan_tanggal,
    bantuan_referensi. `actor` limits the villages and families to their region (None: the system).
    Returns a KubeImportResult; never raises for bad input (a file-level problem is in `error`,
    row-level ones in `problems`, each with line, column, value, reason_code and reason).
    """
    path = Path(path)
    result = KubeImportResult(file_name=file_name or path.name)
    ruleset = ruleset or default_ruleset()
    if actor is not None and not can_manage_kubes(actor):
        result.error = _("Anda tidak berwenang mengimpor KUBE.")
        return _finish(result, actor)
    try:
        _keys, rows = _read(path)
    except KubeImportFileError as error:
        result.error = str(error)
        return _finish(result, actor)
    plans, problems = _check_rows(rows, actor, ruleset)
    result.problems = problems
    result.counts = {
        "rows": len(rows),
        "kubes": len(plans),
        "members": sum(len(p.families) for p in plans),
        "problem_rows": len({p["line"] for p in problems}),
        "by_status": {state.value: sum(1 for p in plans if p.values.get("status") == state) for state in ORDER},
    }
    if problems:
        return _finish(result, actor)
    try:
        with transaction.atomic():
            for plan in plans:
                try:
                    result.kube_ids.append(_walk(plan, actor, ruleset, result.file_name).pk)
                except KubeError as error:
                    result.problems.append(_problem(plan.first_line, "nama_kube", plan.name, "REFUSED", str(error)))
                    raise _Rollback from error
            result.status = "dry_run" if dry_run else "applied"
            if dry_run:
                raise _Rollback
            audit_record(
                actor=actor,
                action="kube.import.applied",
                object_type="kube_import",
                changes={"file": result.file_name, **result.counts, "kubes_created": result.kube_ids},
            )
            return result
    except _Rollback:
        if result.status != "dry_run":
            result.status = "refused"
            result.counts["problem_rows"] = len({p["line"] for p in result.problems})
        result.kube_ids = []
        return _finish(result, actor)


def _finish(result: KubeImportResult, actor: User | None) -> KubeImportResult:
    """Refusals and dry runs change nothing, but the attempt is still audited."""
    audit_record(
        actor=actor,
        action=f"kube.import.{result.status}",
        object_type="kube_import",
        changes={"file": result.file_name, **result.counts, "problems": len(result.problems)},
        note=result.error[:500],
    )
    return result
