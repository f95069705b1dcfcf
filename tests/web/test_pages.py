"""The registry pages as an officer uses them: sign in, import a DTKS file, screen, read decisions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from berdaya.registry.models import Family, ImportBatch, Person
from tests.conftest import AS_OF, PASSWORD, person, write_rows

REPORT_HEADER = ["baris", "kolom", "nilai", "kode_alasan", "alasan"]


def nik_for(born: dt.date, seq: int, sex: str = "L", kecamatan: str = "617104") -> str:
    """A NIK whose structure the NIK_VALID rule accepts: kecamatan, DDMMYY (+40 on the day for women), serial."""
    day = born.day + (40 if sex == "P" else 0)
    return f"{kecamatan}{day:02d}{born:%m%y}{seq:04d}"


def kk_for(seq: int) -> str:
    return f"617104010110{seq:04d}"


def three_families() -> list[dict[str, str]]:
    """Two eligible families (a man, a woman) and one ineligible by desil, each a single head of family."""
    budi = dt.date(1980, 8, 17)
    siti = dt.date(1985, 3, 12)
    ahmad = dt.date(1975, 1, 5)
    return [
        person(id_dtks="1", nik=nik_for(budi, 1), no_kk=kk_for(1), tanggal_lahir=budi.isoformat()),
        person(
            id_dtks="2",
            nik=nik_for(siti, 2, "P"),
            no_kk=kk_for(2),
            nama="SITI AMINAH",
            jenis_kelamin="P",
            tanggal_lahir=siti.isoformat(),
            status_kawin="CERAI MATI",
            keahlian="warung",
        ),
        person(
            id_dtks="3",
            nik=nik_for(ahmad, 3),
            no_kk=kk_for(3),
            nama="AHMAD YANI",
            tanggal_lahir=ahmad.isoformat(),
            desil="7",
        ),
    ]


def many_families(count: int) -> list[dict[str, str]]:
    born = dt.date(1980, 8, 17)
    return [
        person(id_dtks=str(i), nik=nik_for(born, i), no_kk=kk_for(i), tanggal_lahir=born.isoformat())
        for i in range(1, count + 1)
    ]


class _TableReader(HTMLParser):
    """Collects the text of each body row (<tr> with <td> cells) of the table with the given id."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # >0 while inside the wanted table
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag == "td" and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    reader = _TableReader(table_id)
    reader.feed(html)
    return [row for row in reader.rows if row]


def upload(client, path, **extra):
    with open(path, "rb") as handle:
        return client.post(reverse("registry:import_upload"), {"file": handle, "encoding": "utf-8", **extra})


def screen_all(client, region: str = "61.71"):
    return client.post(
        reverse("registry:screening_run"),
        {"ruleset": "permensos-2-2019", "as_of": AS_OF.isoformat(), "region": region},
        follow=True,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """PBKDF2 costs a third of a second per user; these tests are about pages, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def clean_csv(tmp_path):
    return write_rows(tmp_path / "dtks-bersih.csv", three_families())


@pytest.fixture
def bad_csv(tmp_path):
    """Line 2 is fine (but moves to RT 009), line 3 has an impossible date, line 4 a non-numeric desil."""
    rows = three_families()
    rows[0]["rt"] = "009"
    rows[1]["tanggal_lahir"] = "1985-13-45"
    rows[2]["desil"] = "dua"
    return write_rows(tmp_path / "dtks-rusak.csv", rows)


@pytest.fixture
def screened(officer_client, clean_csv):
    """The three families imported and screened; returns the client."""
    assert upload(officer_client, clean_csv).status_code == 302
    assert screen_all(officer_client).status_code == 200
    return officer_client


# Language and sign-in


@pytest.mark.django_db
def test_the_sign_in_page_speaks_bahasa_indonesia_by_default(client):
    response = client.get(reverse("login"))
    html = response.content.decode()

    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Masuk ke Berdaya" in html
    assert "Kata sandi" in html


@pytest.mark.django_db
def test_it_switches_the_language_to_english(client, officer):
    response = client.post("/i18n/setlang/", {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")

    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    # The switch now offers the way back.
    assert 'value="id"' in html and "Bahasa Indonesia" in html

    # A message from Django's own catalogue proves that English is active, not just the attribute.
    client.force_login(officer)
    html = client.post(reverse("registry:import_upload"), {"encoding": "utf-8"}).content.decode()
    assert "This field is required." in html


@pytest.mark.django_db
def test_form_errors_are_in_bahasa_indonesia_by_default(officer_client):
    html = officer_client.post(reverse("registry:import_upload"), {"encoding": "utf-8"}).content.decode()

    assert "This field is required." not in html
    assert "Bidang ini" in html


@pytest.mark.django_db
def test_the_sign_in_page_is_translated_into_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get(reverse("login")).content.decode()

    assert "Masuk ke Berdaya" not in html


@pytest.mark.django_db
def test_it_signs_in_with_the_form(client, officer):
    response = client.post(reverse("login"), {"username": "petugas", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["user"] == officer


@pytest.mark.django_db
def test_it_refuses_a_wrong_password(client, officer):
    response = client.post(reverse("login"), {"username": "petugas", "password": "salah"})

    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/registri/keluarga/", "/registri/impor/", "/registri/penyaringan/"])
def test_it_sends_anonymous_visitors_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


# Home


def test_the_home_page_shows_the_decision_counts(screened):
    html = screened.get(reverse("home")).content.decode()

    counts = dict(re.findall(r'data-count="(\w+)">([\d.,]+)<', html))
    assert counts == {"total": "3", "ELIGIBLE": "2", "INELIGIBLE": "1", "NEEDS_VERIFICATION": "0"}


def test_the_home_page_shows_zero_before_any_import(officer_client):
    html = officer_client.get(reverse("home")).content.decode()

    assert 'data-count="total">0<' in html


# Import, screening, and what the pages show


def test_a_clean_file_is_applied_and_its_detail_page_says_so(officer_client, clean_csv):
    response = upload(officer_client, clean_csv)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_detail", args=[batch.pk])
    assert batch.status == ImportBatch.Status.APPLIED
    assert Family.objects.count() == 3
    assert Person.objects.count() == 3

    html = officer_client.get(response["Location"]).content.decode()
    assert 'data-status="applied"' in html
    assert "Diterapkan" in html
    assert 'id="problems"' not in html
    # The next step is offered on the same page.
    assert reverse("registry:screening_run") in html


def test_a_dry_run_stores_nothing(officer_client, clean_csv):
    response = upload(officer_client, clean_csv, dry_run="on")

    assert response.status_code == 302
    assert ImportBatch.objects.get().status == ImportBatch.Status.DRY_RUN
    assert Family.objects.count() == 0
    assert 'data-status="dry_run"' in officer_client.get(response["Location"]).content.decode()


def test_screening_from_the_form_lands_on_the_family_list_with_decisions(officer_client, clean_csv):
    upload(officer_client, clean_csv)

    response = screen_all(officer_client)

    assert response.redirect_chain == [(reverse("registry:family_list"), 302)]
    html = response.content.decode()
    assert "Penyaringan selesai: 2 layak, 1 tidak layak, 0 perlu verifikasi." in html
    decisions = re.findall(r'data-decision="(\w+)"', html)
    assert sorted(decisions) == ["ELIGIBLE", "ELIGIBLE", "INELIGIBLE"]
    rows = table_rows(html, "families")
    assert [row[0] for row in rows] == ["6171••••••••0001", "6171••••••••0002", "6171••••••••0003"]


def test_the_family_list_filters_by_decision(screened):
    html = screened.get(reverse("registry:family_list"), {"keputusan": "INELIGIBLE"}).content.decode()

    assert re.findall(r'data-decision="(\w+)"', html) == ["INELIGIBLE"]
    assert [row[0] for row in table_rows(html, "families")] == ["6171••••••••0003"]


def test_the_family_detail_shows_reasons_in_indonesian_and_masks_the_nik(screened):
    family = Family.objects.get(no_kk=kk_for(3))

    html = screened.get(reverse("registry:family_detail", args=[family.pk])).content.decode()

    assert 'id="decision">Tidak layak<' in html
    assert "NIK 16 digit, kode kecamatan dikenal, dan tanggal lahirnya cocok." in html
    assert "Belum pernah menerima bantuan KUBE." in html
    assert "IN_DTKS" in html
    assert "6171••••••••0003" in html
    assert "AHMAD YANI" in html


def test_no_page_shows_a_raw_nik_or_family_card_number(screened):
    raw = [p.nik for p in Person.objects.all()] + [f.no_kk for f in Family.objects.all()]
    assert len(raw) == 6
    pages = [reverse("registry:family_list"), reverse("home"), reverse("registry:import_upload")]
    pages += [reverse("registry:family_detail", args=[f.pk]) for f in Family.objects.all()]
    pages += [reverse("registry:import_detail", args=[b.pk]) for b in ImportBatch.objects.all()]

    for url in pages:
        response = screened.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        leaked = [number for number in raw if number in html]
        assert leaked == [], f"{url} shows {leaked}"
    assert "6171••••••••0001" in screened.get(reverse("registry:family_list")).content.decode()


def test_the_screening_form_refuses_a_region_outside_the_officers_scope(officer_client, clean_csv):
    upload(officer_client, clean_csv)

    response = screen_all(officer_client, region="61.72")

    assert response.redirect_chain == []
    assert "Wilayah 61.72 di luar wilayah Anda." in response.content.decode()
    assert not Family.objects.filter(latest_decision__isnull=False).exists()


def test_the_screening_form_says_so_when_there_is_nothing_to_screen(officer_client):
    response = screen_all(officer_client)

    assert response.redirect_chain == []
    assert "Tidak ada keluarga di wilayah ini untuk disaring." in response.content.decode()


def test_the_screening_form_preselects_the_default_rule_set(officer_client, settings):
    form = officer_client.get(reverse("registry:screening_run")).context["form"]

    assert form["ruleset"].value() == settings.BERDAYA["DEFAULT_RULESET"]


# A file with unreadable rows


def test_a_file_with_bad_rows_is_refused_and_the_page_lists_each_problem(officer_client, clean_csv, bad_csv):
    upload(officer_client, clean_csv)  # something already in the registry, to see it left alone
    families, persons = Family.objects.count(), Person.objects.count()
    budi = Family.objects.get(no_kk=kk_for(1))

    response = upload(officer_client, bad_csv)

    batch = ImportBatch.objects.latest("id")
    assert batch.status == ImportBatch.Status.REFUSED
    assert response["Location"] == reverse("registry:import_detail", args=[batch.pk])
    assert (Family.objects.count(), Person.objects.count()) == (families, persons)
    budi.refresh_from_db()
    assert budi.rt == "001"  # the readable row of a refused file changes nothing either

    html = officer_client.get(response["Location"]).content.decode()
    assert 'data-status="refused"' in html
    assert "Berkas ditolak: 2 baris bermasalah." in html
    assert table_rows(html, "problems") == [
        ["3", "tanggal_lahir", "1985-13-45", "tanggal tidak valid; gunakan YYYY-MM-DD atau DD-MM-YYYY"],
        ["4", "desil", "dua", "desil harus bilangan bulat 1-10"],
    ]
    # A refused file offers no screening of data that was not stored.
    assert reverse("registry:screening_run") not in html.split("</header>", 1)[1]


def test_a_refused_file_writes_nothing_into_an_empty_registry(officer_client, bad_csv):
    upload(officer_client, bad_csv)

    assert ImportBatch.objects.get().status == ImportBatch.Status.REFUSED
    assert Family.objects.count() == 0
    assert Person.objects.count() == 0


def test_it_refuses_an_unsupported_file_type(officer_client, tmp_path):
    path = tmp_path / "dtks.pdf"
    path.write_bytes(b"%PDF-1.4")

    response = upload(officer_client, path)

    assert response.status_code == 200
    assert "Jenis berkas tidak didukung" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_nik_in_two_families_is_reported_masked_on_the_page_and_in_the_report(officer_client, tmp_path):
    rows = three_families()
    rows[2]["nik"] = rows[0]["nik"]
    rows[2]["tanggal_lahir"] = rows[0]["tanggal_lahir"]
    response = upload(officer_client, write_rows(tmp_path / "ganda.csv", rows))
    batch = ImportBatch.objects.get()
    raw = rows[0]["nik"]

    html = officer_client.get(response["Location"]).content.decode()
    report = officer_client.get(reverse("registry:import_report", args=[batch.pk, "csv"])).content.decode("utf-8-sig")

    assert batch.status == ImportBatch.Status.REFUSED
    assert [row[:3] for row in table_rows(html, "problems")] == [
        ["2", "nik", "6171••••••••0001"],
        ["4", "nik", "6171••••••••0001"],
    ]
    assert raw not in html
    assert raw not in report
    assert "NIK_REPEATED" in report


@pytest.fixture
def refused_batch(officer_client, bad_csv):
    upload(officer_client, bad_csv)
    return ImportBatch.objects.get()


def test_the_problem_report_downloads_as_csv(officer_client, refused_batch):
    response = officer_client.get(reverse("registry:import_report", args=[refused_batch.pk, "csv"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="laporan-impor-{refused_batch.pk}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        REPORT_HEADER,
        ["3", "tanggal_lahir", "1985-13-45", "BAD_DATE", "tanggal tidak valid; gunakan YYYY-MM-DD atau DD-MM-YYYY"],
        ["4", "desil", "dua", "BAD_DESIL", "desil harus bilangan bulat 1-10"],
    ]


def test_the_problem_report_downloads_as_xlsx_with_the_same_rows(officer_client, refused_batch):
    from openpyxl import load_workbook

    csv_response = officer_client.get(reverse("registry:import_report", args=[refused_batch.pk, "csv"]))
    response = officer_client.get(reverse("registry:import_report", args=[refused_batch.pk, "xlsx"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith(f'laporan-impor-{refused_batch.pk}.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    xlsx_rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    csv_rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert xlsx_rows[0] == REPORT_HEADER
    assert len(xlsx_rows) == 3
    assert xlsx_rows == csv_rows


def test_the_report_refuses_an_unknown_format(officer_client, refused_batch):
    response = officer_client.get(reverse("registry:import_report", args=[refused_batch.pk, "pdf"]))

    assert response.status_code == 404


# Query counts


def _family_list_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("registry:family_list"))
    assert response.status_code == 200
    return len(queries), len(re.findall(r'data-decision="', response.content.decode()))


def test_the_family_list_runs_the_same_number_of_queries_for_5_or_60_families(officer_client, tmp_path):
    upload(officer_client, write_rows(tmp_path / "kecil.csv", many_families(5)))
    screen_all(officer_client)
    small, shown_small = _family_list_queries(officer_client)

    upload(officer_client, write_rows(tmp_path / "besar.csv", many_families(60)))
    assert ImportBatch.objects.latest("id").status == ImportBatch.Status.APPLIED
    screen_all(officer_client)
    large, shown_large = _family_list_queries(officer_client)

    assert (shown_small, shown_large) == (5, 50)  # one full page of badges
    assert large == small


@pytest.mark.django_db
def test_an_english_browser_still_gets_bahasa_indonesia_until_the_user_chooses(client):
    page = client.get("/masuk/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Masuk ke Berdaya" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Sign in to Berdaya" in client.get("/masuk/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
