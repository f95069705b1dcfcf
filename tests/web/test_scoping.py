"""Who may open which registry page: by role, and by region (spec §2: nobody sees outside their scope)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from berdaya.registry.models import EligibilityDecision, Family, ImportBatch
from berdaya.registry.services import dtks_import
from tests.conftest import AS_OF, write_rows
from tests.web.test_pages import kk_for, three_families


@dataclass(frozen=True)
class Page:
    name: str
    needs_family: bool = False
    needs_batch: bool = False
    fmt: str | None = None
    posts: bool = False  # also accepts POST (a write)

    def url(self, family: Family, batch: ImportBatch) -> str:
        if self.needs_family:
            return reverse(f"registry:{self.name}", args=[family.pk])
        if self.needs_batch:
            args = [batch.pk, self.fmt] if self.fmt else [batch.pk]
            return reverse(f"registry:{self.name}", args=args)
        return reverse(f"registry:{self.name}")

    @property
    def holds_one_object(self) -> bool:
        return self.needs_family or self.needs_batch


PAGES = [
    Page("family_list"),
    Page("family_detail", needs_family=True),
    Page("import_upload", posts=True),
    Page("import_detail", needs_batch=True),
    Page("import_report", needs_batch=True, fmt="csv"),
    Page("import_report", needs_batch=True, fmt="xlsx"),
    Page("screening_run", posts=True),
]


def _ids(pages: list[Page]) -> list[str]:
    return [p.name + (f".{p.fmt}" if p.fmt else "") for p in pages]


PAGE_IDS = _ids(PAGES)
OBJECT_PAGES = [p for p in PAGES if p.holds_one_object]
LIST_PAGES = [p for p in PAGES if not p.holds_one_object]
ROLES_WITHOUT_REGISTRY = ["facilitator", "kube_officer", "viewer", "evaluator"]


def test_the_table_covers_every_registry_url():
    from berdaya.registry.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {p.name for p in PAGES}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """PBKDF2 costs a third of a second per user; these tests are about pages, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pontianak(officer, tmp_path):
    """Three families of Kota Pontianak (61.71), imported by its officer; returns (family, batch)."""
    batch = dtks_import(path=write_rows(tmp_path / "dtks.csv", three_families()), actor=officer)
    assert batch.status == ImportBatch.Status.APPLIED
    return Family.objects.get(no_kk=kk_for(1)), batch


@pytest.fixture
def singkawang(stranger, tmp_path) -> Family:
    """One family of Kota Singkawang (61.72), imported by the stranger, who is its officer."""
    rows = [
        {**row, "kode_wilayah": "61.72.01.1001", "no_kk": "6172" + row["no_kk"][4:], "nik": "617201" + row["nik"][6:]}
        for row in three_families()[:1]
    ]
    batch = dtks_import(path=write_rows(tmp_path / "skw.csv", rows), actor=stranger)
    assert batch.status == ImportBatch.Status.APPLIED, batch.problems or batch.error
    return Family.objects.get(no_kk=rows[0]["no_kk"])


def _get(client, user, page: Page, pontianak):
    client.force_login(user)
    return client.get(page.url(*pontianak))


@pytest.mark.parametrize("page", OBJECT_PAGES, ids=_ids(OBJECT_PAGES))
def test_a_stranger_gets_404_for_another_citys_family_or_import(client, stranger, pontianak, page):
    response = _get(client, stranger, page, pontianak)

    assert response.status_code == 404


@pytest.mark.parametrize("page", OBJECT_PAGES, ids=_ids(OBJECT_PAGES))
def test_the_officer_of_the_city_opens_its_family_and_import(client, officer, pontianak, page):
    # The same table with the rightful owner: proves the 404 above is about scope, not a broken URL.
    response = _get(client, officer, page, pontianak)

    assert response.status_code == 200


@pytest.mark.parametrize("page", LIST_PAGES, ids=[p.name for p in LIST_PAGES])
def test_a_stranger_may_open_the_list_pages_of_their_own_city(client, stranger, pontianak, page):
    assert _get(client, stranger, page, pontianak).status_code == 200


def test_the_family_list_of_a_stranger_holds_no_family_of_another_city(client, stranger, pontianak, singkawang):
    client.force_login(stranger)
    response = client.get(reverse("registry:family_list"))

    assert response.status_code == 200
    assert [f.no_kk for f in response.context["page"]] == [singkawang.no_kk]
    html = response.content.decode()
    assert re.findall(r'href="/registri/keluarga/(\d+)/"', html) == [str(singkawang.pk)]
    assert "6172••••••••0001" in html
    assert "6171••••••••0001" not in html


def test_the_family_list_of_a_stranger_ignores_a_region_filter_pointing_elsewhere(client, stranger, pontianak):
    client.force_login(stranger)

    response = client.get(reverse("registry:family_list"), {"wilayah": "61.71"})

    assert response.context["page"].paginator.count == 0


def test_the_decision_counts_of_a_stranger_leave_out_another_city(client, stranger, pontianak):
    client.force_login(stranger)

    html = client.get(reverse("home")).content.decode()

    assert 'data-count="total">0<' in html


def test_the_import_history_of_a_stranger_leaves_out_another_citys_imports(client, stranger, pontianak):
    client.force_login(stranger)

    response = client.get(reverse("registry:import_upload"))

    assert list(response.context["imports"]) == []
    assert "dtks.csv" not in response.content.decode()


@pytest.mark.parametrize("region", ["61.71", "61.71.04", ""])
def test_a_stranger_cannot_screen_another_citys_families(client, stranger, pontianak, region):
    client.force_login(stranger)

    response = client.post(
        reverse("registry:screening_run"), {"ruleset": "permensos-2-2019", "as_of": AS_OF.isoformat(), "region": region}
    )

    assert response.status_code == 200  # the form again, with the reason
    assert response.context["form"].non_field_errors()
    assert not EligibilityDecision.objects.exists()


@pytest.mark.parametrize("role", ROLES_WITHOUT_REGISTRY)
@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_roles_without_registry_access_get_403_on_every_registry_page(client, make_user, pontianak, role, page):
    # Same city as the data: the refusal is by role, not by region.
    user = make_user(f"user_{role}", role, "61.71")

    response = _get(client, user, page, pontianak)

    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES_WITHOUT_REGISTRY)
def test_roles_without_registry_access_cannot_import_or_screen(client, make_user, pontianak, tmp_path, role):
    client.force_login(make_user(f"user_{role}", role, "61.71"))
    path = write_rows(tmp_path / "lagi.csv", three_families())

    with open(path, "rb") as handle:
        upload = client.post(reverse("registry:import_upload"), {"file": handle, "encoding": "utf-8"})
    screening = client.post(
        reverse("registry:screening_run"), {"ruleset": "permensos-2-2019", "as_of": AS_OF.isoformat(), "region": ""}
    )

    assert (upload.status_code, screening.status_code) == (403, 403)
    assert ImportBatch.objects.count() == 1
    assert not EligibilityDecision.objects.exists()


@pytest.mark.parametrize("role", ROLES_WITHOUT_REGISTRY)
def test_roles_without_registry_access_see_no_registry_links_or_counts(client, make_user, pontianak, role):
    client.force_login(make_user(f"user_{role}", role, "61.71"))

    html = client.get(reverse("home")).content.decode()

    assert reverse("registry:family_list") not in html
    assert reverse("registry:import_upload") not in html


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_an_admin_opens_every_registry_page(client, admin_user, pontianak, page):
    response = _get(client, admin_user, page, pontianak)

    assert response.status_code == 200


def test_an_admin_sees_the_families_and_imports_of_every_city(client, admin_user, pontianak, singkawang):
    client.force_login(admin_user)

    families = client.get(reverse("registry:family_list")).context["page"]
    imports = client.get(reverse("registry:import_upload")).context["imports"]

    assert families.paginator.count == 4
    assert {f.region_id[:5] for f in families} == {"61.71", "61.72"}
    assert len(imports) == 2


def test_an_admin_opens_a_family_of_any_city(client, admin_user, singkawang):
    client.force_login(admin_user)

    response = client.get(reverse("registry:family_detail", args=[singkawang.pk]))

    assert response.status_code == 200
    assert "6172••••••••0001" in response.content.decode()
