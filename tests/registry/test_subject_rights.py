"""Data-subject rights (spec §9, UU PDP No. 27/2022): export everything on a NIK, correct it, anonymise a
leaver without changing the books, the statistics or the scores."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import pytest
from django.db.models import Q
from django.urls import reverse
from typer.testing import CliRunner

from berdaya.cli import app
from berdaya.core.models import AuditEvent
from berdaya.engine.masking import mask_id
from berdaya.pdp.record import subject_record
from berdaya.pdp.scrub import text_fields
from berdaya.pdp.services import SubjectError, subject_anonymise, subject_correct, subject_export
from berdaya.registry.models import Family, Person
from tests.conftest import PASSWORD
from tests.factories import make_family, make_kube

# ---- helpers ------------------------------------------------------------------------------------


def traces(*needles: str) -> dict[str, int]:
    """Rows per "app.Model.field" whose text (any CharField, TextField or JSONField) holds a needle."""
    found: dict[str, int] = {}
    for model, f in text_fields():
        query = Q()
        for needle in needles:
            query |= Q(**{f"{f.name}__icontains": needle})
        rows = model._base_manager.filter(query)
        values = rows.values_list(f.name, flat=True)
        texts = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
        hits = [t for t in texts if any(n.lower() in t.lower() for n in needles)]
        if hits:
            found[f"{model._meta.app_label}.{model.__name__}.{f.name}"] = len(hits)
    return found


def stats_json() -> dict:
    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# ---- the invariants, on the demo world ----------------------------------------------------------


@pytest.fixture
def demo_world(regions):
    from berdaya.core.models import User
    from berdaya.demo.build import demo_build

    demo_build(seed=5, families=120, log=lambda m: None)
    return User.objects.get(username="admin")  # the demo's own admin


def books_snapshot():
    from berdaya.ledger.models import JournalEntry, JournalLine, MemberLoan

    return (
        list(JournalEntry.objects.order_by("pk").values_list()),
        list(JournalLine.objects.order_by("pk").values_list()),
        list(MemberLoan.objects.order_by("pk").values_list()),
    )


def trial_balances(as_of):
    from berdaya.kube.models import Kube
    from berdaya.ledger.reports import trial_balance

    return {k.pk: dataclasses.asdict(trial_balance(k, as_of)) for k in Kube.objects.filter(book__isnull=False)}


def score_values():
    from berdaya.evaluation.models import KubeScore

    fields = [f.name for f in KubeScore._meta.concrete_fields if f.name not in ("id", "computed_at")]
    return sorted(KubeScore.objects.values_list(*fields))


def test_anonymising_a_member_keeps_books_statistics_dashboard_and_scores(demo_world):
    from berdaya.demo.build import DEMO_AS_OF
    from berdaya.evaluation.models import KubeScore, Response, Round
    from berdaya.evaluation.services.scoring import kube_score
    from berdaya.kube.models import Membership
    from berdaya.ledger.models import MemberLoan
    from berdaya.ledger.reports import loan_ledger
    from berdaya.mentoring.models import Meeting
    from berdaya.registry.services import eligibility_screen
    from berdaya.reports.dashboard import region_summary

    admin_user = demo_world
    loan = MemberLoan.objects.select_related("member__family", "kube").first()
    assert loan is not None, "the demo world has a KUBE with member loans"
    kube, family = loan.kube, loan.member.family
    assert Response.objects.filter(family=family).exists() and KubeScore.objects.filter(kube=kube).exists()
    person = family.members.get(relationship="KEPALA KELUARGA")
    nik, name, no_kk = person.nik, person.name, family.no_kk
    assert len(name) >= 5
    # A trace outside the registry: the minutes of a meeting name the member.
    meeting = Meeting.objects.filter(kube=kube).first()
    Meeting.objects.filter(pk=meeting.pk).update(notes=f"{name} menyampaikan laporan panen.")
    assert traces(nik, name, no_kk)

    # Namesakes in other families are other people: their names must stay (the demo has two SITI HOLIMAHs more).
    namesakes = list(Person.objects.filter(name__icontains=name).exclude(family=family).values_list("pk", "name"))
    stats, books, balances = stats_json(), books_snapshot(), trial_balances(DEMO_AS_OF)
    summary = region_summary(user=admin_user, code="61.71", as_of=DEMO_AS_OF)
    scores = score_values()
    loans_before = [dataclasses.replace(r, member_name="") for r in loan_ledger(kube, DEMO_AS_OF).rows]
    audit_before = AuditEvent.objects.count()

    result = subject_anonymise(actor=admin_user, person=person, reason="Keluar dari program", whole_family=True)

    assert result.family_anonymised and person.pk in result.person_ids
    assert stats_json() == {**stats, "audit_events": audit_before + 1}
    assert books_snapshot() == books
    assert trial_balances(DEMO_AS_OF) == balances
    assert region_summary(user=admin_user, code="61.71", as_of=DEMO_AS_OF) == summary
    ledger_rows = loan_ledger(kube, DEMO_AS_OF).rows
    assert [dataclasses.replace(r, member_name="") for r in ledger_rows] == loans_before
    assert f"ANONIM-P{person.pk}" in {r.member_name for r in ledger_rows}  # the name is read through the member
    for round_ in Round.objects.filter(kubes=kube):
        kube_score(round=round_, kube=kube)  # recomputed from the anonymised inputs
    assert score_values() == scores
    assert Membership.objects.filter(family=family, kube=kube).exists()

    # No trace of the old NIK, No KK or name in any text column of any table, the audit log included,
    # except the namesakes' own names, untouched.
    expected = {"registry.Person.name": len(namesakes)} if namesakes else {}
    assert traces(nik, name, no_kk) == expected
    assert list(Person.objects.filter(name__icontains=name).values_list("pk", "name")) == namesakes
    assert result.scrub.replaced.get("mentoring.Meeting.notes") == 1
    event = AuditEvent.objects.get(action="pdp.subject_anonymise")
    assert event.note == "Keluar dari program" and event.changes["family_anonymised"] is True

    anonymised = Person.objects.get(pk=person.pk)
    assert (anonymised.nik, anonymised.birth_date, anonymised.name) == (None, None, f"ANONIM-P{person.pk}")
    assert anonymised.birth_year and anonymised.anonymised_at
    assert Family.objects.get(pk=family.pk).address == ""

    # Screening does not re-admit the pseudonyms: the family has nobody left to judge.
    run = eligibility_screen(actor=None, as_of=DEMO_AS_OF, region_prefix="61.71")
    assert not run.decisions.filter(family=family).exists()
    assert Family.objects.get(pk=family.pk).latest_decision is None


# ---- export ---------------------------------------------------------------------------------------


@pytest.fixture
def member(regions, officer):
    """The head of a family in an active KUBE (chair, with their own sign-in), with a second family member."""
    from berdaya.core.services import user_create
    from berdaya.kube.models import KubeState, Officer

    families = [make_family(persons=2)] + [make_family() for _ in range(4)]
    kube = make_kube(families=families, state=KubeState.ACTIVE, size=5)
    person = families[0].members.get(relationship="KEPALA KELUARGA")
    Person.objects.filter(pk=person.pk).update(name="SUMARNI WULANDARI", nik="6171044512800001", sex="P",
                                              birth_date=dt.date(1980, 12, 5))  # fmt: skip
    login = user_create(username="ketua-uji", password=PASSWORD, role="kube_officer", region_code="61.71.04.1001",
                        full_name="Sumarni Wulandari")  # fmt: skip
    Officer.objects.filter(kube=kube, person=person).update(user=login)
    person.refresh_from_db()
    return person


def test_the_record_holds_the_person_their_family_card_and_their_kube(member):
    record = subject_record(person=member)
    assert record["person"]["nik"] == "6171044512800001" and record["person"]["name"] == "SUMARNI WULANDARI"
    assert record["family"]["no_kk"] == member.family.no_kk
    assert [m["relationship"] for m in record["family"]["other_members"]] == ["ISTRI"]
    assert "nik" not in record["family"]["other_members"][0]  # other members are not this person's data
    assert [m["state"] for m in record["kube_memberships"]] == ["active"]
    assert [r["role"] for r in record["officer_roles"]] == ["ketua"]
    assert record["user_account"][0]["username"] == "ketua-uji"
    json.dumps(record)  # serialisable as it is


def test_an_officer_finds_a_person_by_nik_and_downloads_json_and_pdf(client, officer, member):
    client.login(username="petugas", password=PASSWORD)
    response = client.post(reverse("pdp:subject_search"), {"nik": "6171 0445 1280 0001"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "6171••••••••0001" in page.content.decode() and "6171044512800001" not in page.content.decode()

    data = client.get(reverse("pdp:subject_download", args=[member.pk, "json"]))
    assert data.status_code == 200 and data["Content-Type"].startswith("application/json")
    assert json.loads(data.content)["person"]["nik"] == "6171044512800001"  # unmasked: it is theirs
    pdf = client.get(reverse("pdp:subject_download", args=[member.pk, "pdf"]))
    assert pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "SUMARNI WULANDARI" in text and "6171044512800001" in text

    events = AuditEvent.objects.filter(action="pdp.subject_export").order_by("id")
    assert [e.changes["format"] for e in events] == ["json", "pdf"]
    assert all(e.changes["nik"] == mask_id("6171044512800001") and e.actor == officer for e in events)
    assert not AuditEvent.objects.filter(Q(changes__icontains="6171044512800001") | Q(object_id="6171044512800001"))


def test_people_outside_the_region_or_role_see_nothing(client, make_user, stranger, member):
    client.login(username="orang_lain", password=PASSWORD)
    response = client.post(reverse("pdp:subject_search"), {"nik": "6171044512800001"})
    assert response.status_code == 200 and "Tidak ada orang" in response.content.decode()
    assert client.get(reverse("pdp:subject_detail", args=[member.pk])).status_code == 404
    assert client.get(reverse("pdp:subject_download", args=[member.pk, "json"])).status_code == 404
    make_user("pemantau", "viewer", "61.71")
    client.login(username="pemantau", password=PASSWORD)
    assert client.get(reverse("pdp:subject_detail", args=[member.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="pdp.subject_export").exists()


def test_the_cli_exports_json_and_pdf(member, tmp_path):
    out = tmp_path / "subjek.json"
    result = CliRunner().invoke(app, ["subject", "export", "--nik", "6171044512800001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["person"]["name"] == "SUMARNI WULANDARI"
    assert "6171044512800001" not in result.output
    pdf = tmp_path / "subjek.pdf"
    assert CliRunner().invoke(app, ["subject", "export", "--nik", "6171044512800001", "--out", str(pdf)]).exit_code == 0
    assert "SUMARNI WULANDARI" in pdf_text(pdf.read_bytes())
    assert CliRunner().invoke(app, ["subject", "export", "--nik", "6171049999999999", "--out", str(out)]).exit_code == 2
    short = CliRunner().invoke(app, ["subject", "export", "--nik", "123", "--out", str(out)])
    assert short.exit_code == 2 and "16 angka" in short.output


# ---- correction -----------------------------------------------------------------------------------


def test_a_correction_changes_the_fields_and_audits_them_masked(officer, member):
    logged = subject_correct(
        actor=officer, person=member, reason="Salah ketik di DTKS",
        changes={"name": "SUMARNI WULANDARI PUTRI", "birth_date": dt.date(1980, 12, 6), "nik": "6171044612800001"},
    )  # fmt: skip
    member.refresh_from_db()
    assert (member.name, member.birth_date, member.nik) == ("SUMARNI WULANDARI PUTRI", dt.date(1980, 12, 6),
                                                             "6171044612800001")  # fmt: skip
    event = AuditEvent.objects.get(action="pdp.subject_correct")
    assert event.note == "Salah ketik di DTKS"
    assert event.changes["fields"]["nik"] == {"old": "6171••••••••0001", "new": "6171••••••••0001"}
    assert event.changes["fields"]["name"]["old"] == "S•••••• W••••••••"
    assert event.changes["fields"]["birth_date"] == {"old": "1980", "new": "1980"}
    text = json.dumps(event.changes)
    assert "SUMARNI" not in text and "6171044" not in text
    assert set(logged) == {"name", "birth_date", "nik"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nik": "617104451280001"}, "tidak sah"),  # 15 digits
        ({"nik": "6171994512800001"}, "kecamatan 61.71.99"),  # no such kecamatan in Kota Pontianak
        ({"nik": "6171040512800001"}, "jenis kelamin"),  # a woman's NIK adds 40 to the day
        ({"nik": "6171044612810001"}, "tanggal lahir"),  # born in 1981, says the NIK
        ({"no_kk": "12345"}, "16 angka"),
        ({"sex": "X"}, "L atau P"),
    ],
)
def test_a_correction_that_does_not_validate_is_refused(officer, member, changes, message):
    with pytest.raises(SubjectError, match=message):
        subject_correct(actor=officer, person=member, changes=changes, reason="koreksi")
    member.refresh_from_db()
    assert member.nik == "6171044512800001"
    assert not AuditEvent.objects.filter(action="pdp.subject_correct").exists()


def test_a_correction_keeps_nik_and_no_kk_unique_and_needs_a_reason(officer, member):
    other = make_family()
    taken = other.members.first()
    Person.objects.filter(pk=taken.pk).update(nik="6171044512800002")
    with pytest.raises(SubjectError, match="sudah tercatat"):
        subject_correct(actor=officer, person=member, changes={"nik": "6171044512800002"}, reason="koreksi")
    with pytest.raises(SubjectError, match="sudah tercatat"):
        subject_correct(actor=officer, person=member, changes={"no_kk": other.no_kk}, reason="koreksi")
    with pytest.raises(SubjectError, match="Alasan"):
        subject_correct(actor=officer, person=member, changes={"name": "SUMARNI"}, reason=" ")


def test_the_correction_page_saves_what_changed(client, officer, member):
    client.login(username="petugas", password=PASSWORD)
    url = reverse("pdp:subject_correct", args=[member.pk])
    form = client.get(url)
    assert form.status_code == 200
    initial = form.context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    data.update({"name": "SUMARNI W.", "address": "Jl. Khatulistiwa Gg. Melati 3", "reason": "Permintaan subjek"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    member.refresh_from_db()
    assert member.name == "SUMARNI W." and member.family.address == "Jl. Khatulistiwa Gg. Melati 3"
    assert set(AuditEvent.objects.get(action="pdp.subject_correct").changes["fields"]) == {"name", "address"}


# ---- anonymisation --------------------------------------------------------------------------------


def test_anonymising_one_member_keeps_the_family_card_while_others_remain(officer, member):
    from berdaya.core.models import User

    family = member.family
    result = subject_anonymise(actor=officer, person=member, reason="Pindah domisili")
    assert result.person_ids == [member.pk] and not result.family_anonymised and result.users_closed == 1
    assert [o.split(" ")[0] for o in result.live_offices] == ["Ketua"]  # still the chair: to be handed over
    family.refresh_from_db()
    assert family.anonymised_at is None and family.no_kk.isdigit()
    login = User.objects.get(kube_offices__person=member)
    assert (login.username, login.first_name, login.is_active) == (f"anonim-{login.pk}", "", False)
    assert traces("6171044512800001", "SUMARNI WULANDARI", "Sumarni Wulandari") == {}
    with pytest.raises(SubjectError, match="sudah dianonimkan"):
        subject_anonymise(actor=officer, person=member, reason="lagi")
    # The last identified member takes the family card with them.
    spouse = family.members.exclude(pk=member.pk).get()
    old_kk = family.no_kk
    assert subject_anonymise(actor=officer, person=spouse, reason="Pindah domisili").family_anonymised
    family.refresh_from_db()
    assert family.no_kk == f"ANONIM-K{family.pk}" and family.anonymised_at is not None
    assert traces(old_kk) == {}


def test_a_name_in_the_books_is_left_there_and_reported(officer, member):
    from berdaya.kube.models import Membership
    from berdaya.ledger.models import JournalEntry
    from berdaya.ledger.services import operation_post

    membership = Membership.objects.get(family=member.family)
    kube = membership.kube
    entry = operation_post(
        actor=officer, kube=kube, kind="savings_in", date=dt.date(2025, 3, 2), amount=50_000, member=membership,
        description="Simpanan SUMARNI WULANDARI",
    )  # fmt: skip
    result = subject_anonymise(actor=officer, person=member, reason="Keluar")
    assert result.scrub.residual == {"ledger.JournalEntry.description": 1}
    assert JournalEntry.objects.get(pk=entry.pk).description == "Simpanan SUMARNI WULANDARI"


def test_the_anonymise_page_and_command(client, officer, member):
    client.login(username="petugas", password=PASSWORD)
    url = reverse("pdp:subject_anonymise", args=[member.pk])
    refused = client.post(url, {"reason": "Keluar"})  # without the confirmation
    assert refused.status_code == 200 and Person.objects.get(pk=member.pk).anonymised_at is None
    response = client.post(url, {"reason": "Keluar", "confirm": "on"})
    assert response.status_code == 302
    assert Person.objects.get(pk=member.pk).anonymised_at is not None
    page = client.get(response["Location"])
    assert 'id="anonymised"' in page.content.decode() and 'id="anonymise"' not in page.content.decode()

    spouse = member.family.members.exclude(pk=member.pk).get()
    nik = spouse.nik
    result = CliRunner().invoke(app, ["subject", "anonymise", "--nik", nik, "--reason", "Keluar dari program"])
    assert result.exit_code == 0, result.output
    assert nik not in result.output
    assert Person.objects.get(pk=spouse.pk).nik is None
    assert CliRunner().invoke(app, ["subject", "anonymise", "--nik", nik, "--reason", "lagi"]).exit_code == 2


def test_an_anonymised_family_is_not_offered_to_formation(officer, regions):
    from berdaya.kube.services.formation import _eligible_free_families
    from berdaya.registry.models import Decision, EligibilityDecision, EligibilityRun

    family = make_family()
    run = EligibilityRun.objects.create(ruleset_name="uji", ruleset_version=1, ruleset_digest="x",
                                        as_of=dt.date(2025, 1, 1))  # fmt: skip
    family.latest_decision = EligibilityDecision.objects.create(run=run, family=family, decision=Decision.ELIGIBLE)
    family.save(update_fields=["latest_decision"])
    village = family.region
    assert family in _eligible_free_families(village)
    subject_anonymise(actor=officer, person=family.members.get(), reason="Keluar")
    assert family not in _eligible_free_families(village)


def test_the_import_history_is_exported_then_scrubbed_of_the_old_names(officer, tmp_path):
    from berdaya.registry.services import dtks_import
    from tests.conftest import person, write_rows

    dtks_import(path=write_rows(tmp_path / "a.csv", [person()]), actor=officer)
    second = dtks_import(path=write_rows(tmp_path / "b.csv", [person(nama="BUDI SANTOSO WIJAYA")]), actor=officer)
    assert second.status == "applied"
    budi = Person.objects.get(nik="6171041708800001")
    record = subject_export(actor=officer, person=budi, kind="json")
    assert "BUDI SANTOSO" in json.dumps(record["import_changes"])  # the old name, as the import logged it
    assert traces("BUDI SANTOSO")["registry.ImportChange.changes"] >= 1

    result = subject_anonymise(actor=officer, person=budi, reason="Keluar dari program")
    assert result.family_anonymised  # the only member
    # Both imports' rows about Budi and his card (created, created, updated): re-keyed, values blanked.
    assert result.import_changes_redacted == 3
    assert traces("6171041708800001", "6171040101100001", "BUDI SANTOSO", "Khatulistiwa Gg. Mawar") == {}
