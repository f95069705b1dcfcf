"""Writes for the data-subject rights (spec §9): the audited export, the correction, the anonymisation.

Each is atomic and writes one audit row. The audit log is append-only, so it never receives a NIK, No KK,
name, birth date or address in clear: NIK and No KK are masked (`6171••••••••0001`), a name is shown by its
initials, a birth date by its year and an address only as changed. After an anonymisation nothing in the
log leads back to the person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.id import nik as stdnum_nik

from berdaya.core.models import Region, User
from berdaya.core.services import audit_record
from berdaya.engine.masking import mask_id
from berdaya.pdp.record import normalise_nik, subject_record
from berdaya.pdp.scrub import ScrubResult, scrub
from berdaya.registry.models import Family, Person


class SubjectError(ValueError):
    """A request the service refuses, with a message for the user (Bahasa Indonesia)."""


PERSON_EDITABLE = ("nik", "name", "sex", "birth_date", "marital_status", "relationship", "occupation")
FAMILY_EDITABLE = ("no_kk", "address", "rt", "rw")


def mask_name(name: str) -> str:
    """`SITI AMINAH` -> `S••• A•••••`: enough to tell a correction happened, too little to identify."""
    return " ".join(word[:1] + "•" * (len(word) - 1) for word in (name or "").split())


def _audit_value(field_name: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if field_name in ("nik", "no_kk"):
        return mask_id(str(value))
    if field_name == "name":
        return mask_name(str(value))
    if field_name == "birth_date":
        return str(value.year)
    if field_name == "address":
        return "•••"
    return value


def subject_export(*, actor: User | None, person: Person, kind: str, client_address: str | None = None) -> dict:
    """The person's full record (see `record.subject_record`), with an audit row `pdp.subject_export`.

    `kind` is "json" or "pdf" (what was handed over). The audit row names the person by primary key and
    masked NIK only.
    """
    with transaction.atomic():
        record = subject_record(person=person)
        audit_record(
            actor=actor,
            action="pdp.subject_export",
            object_type="registry.Person",
            object_id=str(person.pk),
            changes={"nik": mask_id(person.nik), "format": kind},
            client_address=client_address,
        )
    return record


# ---- correction ---------------------------------------------------------------------------------


def _check_nik(nik: str, *, sex: str, birth_date: dt.date | None) -> None:
    """Structure by python-stdnum; then the person's own sex and birth date, as the screening rule does."""
    try:
        stdnum_nik.validate(nik)
        nik_birth = stdnum_nik.get_birth_date(nik)
    except Exception as error:  # stdnum raises ValidationError subclasses; any is a refusal here
        raise SubjectError(_("NIK %(nik)s tidak sah: %(why)s") % {"nik": mask_id(nik), "why": error}) from error
    kecamatan = f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}"
    if (
        Region.objects.filter(level=Region.Level.KECAMATAN).exists()
        and not Region.objects.filter(code=kecamatan).exists()
    ):
        # What stdnum cannot know (the engine's NIK_VALID checks it too): the kecamatan must exist.
        raise SubjectError(_("NIK menyebut kecamatan %(code)s yang tidak ada.") % {"code": kecamatan})
    if sex and (int(nik[6:8]) > 40) != (sex == Person.Sex.P):
        raise SubjectError(_("NIK tidak cocok dengan jenis kelamin (perempuan: tanggal lahir pada NIK ditambah 40)."))
    if birth_date and (nik_birth.day, nik_birth.month, nik_birth.year % 100) != (
        birth_date.day, birth_date.month, birth_date.year % 100,
    ):  # fmt: skip
        raise SubjectError(_("NIK tidak cocok dengan tanggal lahir."))


def _check_no_kk(no_kk: str) -> None:
    if not re.fullmatch(r"\d{16}", no_kk) or no_kk == "0" * 16:
        raise SubjectError(_("No KK harus 16 angka."))


@transaction.atomic
def subject_correct(
    *, actor: User | None, person: Person, changes: dict[str, Any], reason: str, client_address: str | None = None
) -> dict[str, dict[str, Any]]:
    """Correct a person's fields (and their family card's No KK, address, RT/RW) with a reason.

    `changes` maps field names (PERSON_EDITABLE, FAMILY_EDITABLE) to new values; unchanged ones are ignored.
    A new NIK is checked with python-stdnum and against the (new) sex and birth date, and must be unique; a
    new No KK is 16 digits and unique. Returns {field: {"old", "new"}} as written to the audit (masked).
    Raises SubjectError without writing anything.
    """
    reason = (reason or "").strip()
    if not reason:
        raise SubjectError(_("Alasan koreksi wajib diisi."))
    person = Person.objects.select_for_update(of=("self",)).select_related("family").get(pk=person.pk)
    if person.anonymised_at:
        raise SubjectError(_("Data orang ini sudah dianonimkan; tidak dapat dikoreksi."))
    unknown = set(changes) - set(PERSON_EDITABLE) - set(FAMILY_EDITABLE)
    if unknown:
        raise SubjectError(_("Kolom tidak dapat dikoreksi: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "nik" in changes:
        changes["nik"] = normalise_nik(changes["nik"] or "") or None
    if "no_kk" in changes:
        changes["no_kk"] = normalise_nik(changes["no_kk"] or "")
    family = person.family
    if family is None and set(changes) & set(FAMILY_EDITABLE):
        raise SubjectError(_("Orang ini tidak terdaftar dalam keluarga mana pun."))
    before = {f: getattr(person, f) for f in PERSON_EDITABLE}
    if family is not None:
        family = Family.objects.select_for_update().get(pk=family.pk)
        before.update({f: getattr(family, f) for f in FAMILY_EDITABLE})
    changed = {f: v for f, v in changes.items() if v != before[f]}
    if not changed:
        raise SubjectError(_("Tidak ada yang berubah."))
    after = {**before, **changed}
    if after["sex"] not in ("", *Person.Sex.values):
        raise SubjectError(_("Jenis kelamin harus L atau P."))
    if after["nik"] and ({"nik", "sex", "birth_date"} & set(changed)):
        _check_nik(after["nik"], sex=after["sex"], birth_date=after["birth_date"])
    if "nik" in changed and after["nik"] and Person.objects.filter(nik=after["nik"]).exclude(pk=person.pk).exists():
        raise SubjectError(_("NIK %(nik)s sudah tercatat untuk orang lain.") % {"nik": mask_id(after["nik"])})
    if "no_kk" in changed:
        _check_no_kk(after["no_kk"])
        if Family.objects.filter(no_kk=after["no_kk"]).exclude(pk=family.pk).exists():
            raise SubjectError(_("No KK %(kk)s sudah tercatat untuk keluarga lain.") % {"kk": mask_id(after["no_kk"])})
    person_fields = [f for f in changed if f in PERSON_EDITABLE]
    family_fields = [f for f in changed if f in FAMILY_EDITABLE]
    for f in person_fields:
        setattr(person, f, changed[f])
    if person_fields:
        person.save(update_fields=[*person_fields, "updated_at"])
    if family_fields:
        for f in family_fields:
            setattr(family, f, changed[f])
        family.save(update_fields=[*family_fields, "updated_at"])
    logged = {f: {"old": _audit_value(f, before[f]), "new": _audit_value(f, changed[f])} for f in changed}
    audit_record(
        actor=actor,
        action="pdp.subject_correct",
        object_type="registry.Person",
        object_id=str(person.pk),
        changes={"nik": mask_id(after["nik"]), "fields": logged},
        client_address=client_address,
        note=reason,
    )
    return logged


# ---- anonymisation ------------------------------------------------------------------------------


@dataclass
class AnonymiseResult:
    person_ids: list[int]
    family_anonymised: bool
    users_closed: int
    import_changes_redacted: int = 0
    live_offices: list[str] = field(default_factory=list)  # "ketua KUBE X": roles to hand over (spec §3)
    scrub: ScrubResult = field(default_factory=ScrubResult)


def person_pseudonym(pk: int) -> str:
    """Stands for a leaver's name: from the row's own key, so nothing about the person is derivable."""
    return f"ANONIM-P{pk}"


def family_pseudonym(pk: int) -> str:
    """Stands for the No KK (unique, not null): never 16 digits, so no import or screen takes it for one."""
    return f"ANONIM-K{pk}"


def _round(coordinate: float | None) -> float | None:
    # Two decimals (~1 km): the kelurahan stays on the map, the house does not.
    return None if coordinate is None else round(coordinate, 2)


@transaction.atomic
def subject_anonymise(
    *,
    actor: User | None,
    person: Person,
    reason: str,
    whole_family: bool = False,
    client_address: str | None = None,
) -> AnonymiseResult:
    """Replace a leaver's direct identifiers with pseudonyms, keeping every row and foreign key.

    The person: NIK -> null, name -> `ANONIM-P<id>`, birth date -> birth year only, `anonymised_at` set
    (screening and formation skip them). Their family card too (No KK -> `ANONIM-K<id>`, address and DTKS
    id emptied, coordinates rounded to ~1 km) when `whole_family` or when nobody else on the card remains
    identified; `whole_family` anonymises every member. A KUBE officer's sign-in is closed and its names
    cleared. Memberships, attendance, loans, the books, responses and scores are untouched, so counts,
    balances and indicators stay as they were. Then the old identifiers are searched in all free text and
    replaced (see `scrub`); the audit log and the books are only reported (`residual`), never changed.
    Raises SubjectError when the reason is empty or the person was anonymised already.
    """
    reason = (reason or "").strip()
    if not reason:
        raise SubjectError(_("Alasan anonimisasi wajib diisi."))
    person = Person.objects.select_for_update(of=("self",)).select_related("family").get(pk=person.pk)
    if person.anonymised_at:
        raise SubjectError(_("Data orang ini sudah dianonimkan."))
    now = timezone.now()
    family = Family.objects.select_for_update().get(pk=person.family_id) if person.family_id else None
    persons = [person]
    if family is not None and whole_family:
        persons += list(
            Person.objects.select_for_update().filter(family=family, anonymised_at__isnull=True).exclude(pk=person.pk)
        )
    needles: dict[str, str] = {}
    # The import log keys a person by NIK, or by name when they had none (imports.py).
    logged = [("person", p.nik or p.name, person_pseudonym(p.pk)) for p in persons if p.nik or p.name]
    for p in persons:
        pseudonym = person_pseudonym(p.pk)
        needles.update({p.nik or "": pseudonym, p.name or "": pseudonym})
        p.birth_year = p.birth_date.year if p.birth_date else p.birth_year
        p.nik, p.name, p.birth_date, p.anonymised_at = None, pseudonym, None, now
        p.save(update_fields=["nik", "name", "birth_date", "birth_year", "anonymised_at", "updated_at"])
    family_done = False
    if family is not None and (whole_family or not family.members.filter(anonymised_at__isnull=True).exists()):
        pseudonym = family_pseudonym(family.pk)
        needles.update({family.no_kk: pseudonym, family.id_dtks: pseudonym, family.address: pseudonym})
        logged.append(("family", family.no_kk, pseudonym))
        family.no_kk, family.id_dtks, family.address = pseudonym, "", ""
        family.lat, family.lon, family.anonymised_at = _round(family.lat), _round(family.lon), now
        family.save(update_fields=["no_kk", "id_dtks", "address", "lat", "lon", "anonymised_at", "updated_at"])
        family_done = True
    users_closed = _close_officer_logins(persons)
    live_offices = _live_offices(persons)
    former, redacted = _redact_import_history(subjects=logged)
    needles.update(former)
    scrubbed = scrub(
        {k: v for k, v in needles.items() if k},
        exclude={"registry.Person": [p.pk for p in persons], "registry.Family": [family.pk] if family_done else []},
    )
    audit_record(
        actor=actor,
        action="pdp.subject_anonymise",
        object_type="registry.Person",
        object_id=str(person.pk),
        changes={
            "persons": [p.pk for p in persons],
            "family": family.pk if family is not None else None,
            "family_anonymised": family_done,
            "users_closed": users_closed,
            "import_changes_redacted": redacted,
            "live_offices": live_offices,
            "replaced": scrubbed.replaced,
            "residual": scrubbed.residual,
        },
        client_address=client_address,
        note=reason,
    )
    return AnonymiseResult(
        person_ids=[p.pk for p in persons],
        family_anonymised=family_done,
        users_closed=users_closed,
        import_changes_redacted=redacted,
        live_offices=live_offices,
        scrub=scrubbed,
    )


# Values in an import's change log ({field: [old, new]}) that identify a person or a family card: the text ones
# become the pseudonym (and are searched for elsewhere), the others are blanked.
IDENTIFYING_TEXT = {"nik", "name", "id_dtks", "address"}
IDENTIFYING_OTHER = {"birth_date", "lat", "lon"}


def _redact_import_history(*, subjects: list[tuple[str, str, str]]) -> tuple[dict[str, str], int]:
    """Blank the identifying old/new values in the import log rows about the leavers, and re-key the rows by
    pseudonym. `subjects`: (entity, key the import used, pseudonym). Returns the former text values (old
    names, NIKs, addresses) as further needles for `scrub`, and how many rows changed."""
    from berdaya.registry.models import ImportChange

    former: dict[str, str] = {}
    rows = 0
    for entity, old_key, pseudonym in subjects:
        for change in ImportChange.objects.filter(entity=entity, key=old_key[:40]):
            redacted = {}
            for name, value in (change.changes or {}).items():
                if name in IDENTIFYING_TEXT and isinstance(value, list):
                    former.update({v: pseudonym for v in value if isinstance(v, str) and v})
                    value = [pseudonym if v not in (None, "") else v for v in value]
                elif name in IDENTIFYING_OTHER and isinstance(value, list):
                    value = [None for _ in value]
                redacted[name] = value
            ImportChange.objects.filter(pk=change.pk).update(key=pseudonym, changes=redacted)
            rows += 1
    return former, rows


def _live_offices(persons: list[Person]) -> list[str]:
    """Officer roles the leavers still hold in live KUBEs: kept (the decree named them), to be handed over."""
    from berdaya.kube.models import LIVE_STATES, Officer

    offices = Officer.objects.filter(person__in=persons, kube__state__in=LIVE_STATES).select_related("kube")
    return [f"{o.get_role_display()} {o.kube.name}" for o in offices.order_by("kube_id", "role")]


def _close_officer_logins(persons: list[Person]) -> int:
    """A leaver who was a KUBE officer signs in no more; the account row stays (it is an audit actor)."""
    ids = set(User.objects.filter(kube_offices__person__in=persons).values_list("pk", flat=True))
    users = list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    for user in users:
        user.username = f"anonim-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["username", "first_name", "last_name", "email", "is_active", "password"])
    return len(users)
