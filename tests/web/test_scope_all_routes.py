"""Every URL of the site, for every role and both of two cities (spec §2: nobody sees a household, group or
ledger outside their scope, through any page, export or API).

`ROUTES` maps each route name (`namespace:name`, as `reverse` takes it) to a `Case`: how to build its URL
arguments from one city's objects, which roles of that city may read it, and whether it writes on POST.
`test_every_route_has_a_case` walks `django.urls.get_resolver()` (the django-ninja API under `/api/`
included) and fails when a route has no case, so a new page cannot ship unchecked.

Adding a route is one line in `ROUTES`, e.g. for a page that shows one KUBE to its managers and writes on POST:

    "kube:thing": Case(kube, see=MANAGERS, post=True),

Then, per case and per role of Kota Pontianak (61.71, `world.a`):
- on Kota Singkawang's (61.72, `world.b`) objects every role gets 403 or 404, on GET and on POST, and a
  refused POST writes nothing; a page naming no object (a list, a dashboard) prints nothing of Singkawang;
- on its own city's objects a role outside `see` (GET) or `write` (POST) gets 403 or 404, a role in `see`
  gets the page, and a viewer's or evaluator's page holds no name, NIK or No KK, not even masked;
- an admin (no region) opens each page of either city, which proves the URL arguments are right and the
  refusals above are about scope, not a broken link; an anonymous visitor is sent to sign in.

The admin site (`/admin/`) is one gate for all its routes: it does not filter rows by region, so only
admins (superusers) may enter, and anyone else, a region-scoped staff member with view permissions
included, is sent to the admin login. Its routes are checked by that rule as they are enumerated, so a
newly registered model is covered without a new line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from berdaya.core.models import AuditEvent, Role
from berdaya.evaluation.models import Response, Round
from berdaya.kube.models import KubeEvent, Membership
from berdaya.ledger.models import JournalEntry
from berdaya.mentoring.models import Assignment, Facilitator, Meeting, Training, Visit
from berdaya.registry.models import EligibilityDecision, ImportBatch
from tests.web.routes_world import Side, World, build_world

PO, VIEWER, FAC, KO, EVAL = (Role.PROGRAM_OFFICER, Role.VIEWER, Role.FACILITATOR, Role.KUBE_OFFICER, Role.EVALUATOR)
ROLES = [PO, VIEWER, FAC, KO, EVAL]  # every role but admin: each has a region
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({PO})
KUBE_READERS = frozenset({PO, FAC, KO})
REFUSED = {403, 404}


@dataclass(frozen=True)
class Case:
    """How to reach one route and who may.

    kwargs: the URL arguments from one city's objects; None for a page that names no object (a list or a
    dashboard: it must print nothing of another city). see: roles of the city that GET it (an admin
    always may). write: roles that may POST (default `see`), only when `post`. get: False for a
    POST-only route. ok: the status a reader gets, per role where it differs (a redirect). api: a
    bearer-token route; body: the JSON it posts. regional: False when the arguments name nothing of a
    region (a questionnaire the same everywhere), so another city has nothing to refuse.
    """

    kwargs: Callable[[Side], dict] | None = None
    see: frozenset = frozenset()
    post: bool = False
    write: frozenset | None = None
    get: bool = True
    ok: dict | None = None
    api: bool = False
    body: dict | None = None
    regional: bool = True

    def writers(self) -> frozenset:
        return self.see if self.write is None else self.write

    def status_for(self, role: str) -> int:
        return (self.ok or {}).get(role, 200)


def kube(s: Side) -> dict:
    return {"pk": s.kube.pk}


def books(s: Side) -> dict:
    return {"kube_id": s.kube.pk}


def entry(s: Side) -> dict:
    return {"kube_id": s.kube.pk, "entry_id": s.entry.pk}


def round_(s: Side) -> dict:
    return {"round_id": s.round.pk}


def code(s: Side) -> dict:
    return {"code": s.code}


SALE = {"kind": "sale", "date": "2025-06-04", "amount": 1000}
LINES = [{"account": "1100", "debit": 1000}, {"account": "4100", "credit": 1000}]

ROUTES: dict[str, Case] = {
    "home": Case(see=EVERYONE),
    "core:job_list": Case(see=EVERYONE),
    "core:job": Case(lambda s: {"pk": s.job.pk}, see=MANAGERS),  # the job's own actor
    "core:job_status": Case(lambda s: {"pk": s.job.pk}, see=MANAGERS),
    "core:job_file": Case(lambda s: {"pk": s.job.pk, "kind": "csv"}, see=MANAGERS),
    "registry:family_list": Case(see=MANAGERS),
    "registry:family_detail": Case(lambda s: {"pk": s.family.pk}, see=MANAGERS),
    "registry:import_upload": Case(see=MANAGERS, post=True),
    "registry:import_detail": Case(lambda s: {"pk": s.batch.pk}, see=MANAGERS),
    "registry:import_report": Case(lambda s: {"pk": s.batch.pk, "fmt": "csv"}, see=MANAGERS),
    "registry:screening_run": Case(see=MANAGERS, post=True),
    "pdp:subject_search": Case(see=MANAGERS, post=True),
    "pdp:subject_detail": Case(lambda s: {"pk": s.person.pk}, see=MANAGERS),
    "pdp:subject_download": Case(lambda s: {"pk": s.person.pk, "fmt": "json"}, see=MANAGERS),
    "pdp:subject_correct": Case(lambda s: {"pk": s.person.pk}, see=MANAGERS, post=True),
    "pdp:subject_anonymise": Case(lambda s: {"pk": s.person.pk}, see=MANAGERS, post=True),
    "pdp_reveal:reveal": Case(lambda s: {"kind": "individu", "pk": s.person.pk}, see=MANAGERS, post=True),
    "pdp_reveal:breach": Case(see=frozenset(), post=True),  # admins only
    "kube:list": Case(see=KUBE_READERS),
    "kube:detail": Case(kube, see=KUBE_READERS),
    "kube:step": Case(lambda s: {"pk": s.kube.pk, "step": "pengurus"}, see=MANAGERS, post=True),
    "kube:formation_list": Case(see=MANAGERS, post=True),
    "kube:formation_detail": Case(lambda s: {"pk": s.formation.pk}, see=MANAGERS),
    "kube:formation_move": Case(lambda s: {"pk": s.formation.pk}, see=MANAGERS, post=True, get=False),
    "kube:formation_approve": Case(lambda s: {"pk": s.formation.pk}, see=MANAGERS, post=True, get=False),
    "kube:formation_discard": Case(lambda s: {"pk": s.formation.pk}, see=MANAGERS, post=True, get=False),
    "kube:kube_import": Case(see=MANAGERS, post=True),
    "kube:plan_new": Case(kube, see=MANAGERS, post=True),
    "kube:member_add": Case(kube, see=MANAGERS, post=True, get=False),
    "kube:member_remove": Case(lambda s: {"pk": s.kube.pk, "family_id": s.member.pk}, see=MANAGERS, post=True),
    "mentoring:my_groups": Case(see=KUBE_READERS, ok={PO: 302, Role.ADMIN: 302}),
    "mentoring:meeting_new": Case(kube, see=KUBE_READERS, post=True),
    "mentoring:visit_new": Case(kube, see=KUBE_READERS, post=True),
    "mentoring:visit_photo": Case(lambda s: {"pk": s.visit.pk}, see=KUBE_READERS),
    "mentoring:training_list": Case(see=MANAGERS),
    "mentoring:training_new": Case(see=MANAGERS, post=True),
    "mentoring:facilitator_list": Case(see=MANAGERS, post=True),
    "mentoring:facilitator_edit": Case(lambda s: {"pk": s.facilitator.pk}, see=MANAGERS, post=True),
    "mentoring:assignment": Case(see=MANAGERS, post=True),
    "mentoring:attention": Case(see=EVERYONE),
    "ledger:books": Case(books, see=KUBE_READERS),
    "ledger:open": Case(books, see=KUBE_READERS, post=True, get=False),
    "ledger:operation": Case(lambda s: {"kube_id": s.kube.pk, "kind": "sale"}, see=KUBE_READERS, post=True),
    "ledger:manual_entry": Case(books, see=KUBE_READERS, post=True),
    "ledger:journal": Case(books, see=KUBE_READERS),
    "ledger:entry": Case(entry, see=KUBE_READERS),
    "ledger:reverse": Case(entry, see=KUBE_READERS, post=True, get=False),
    "ledger:accounts": Case(books, see=KUBE_READERS, post=True, write=frozenset({PO, KO})),
    "ledger:account_edit": Case(
        lambda s: {"kube_id": s.kube.pk, "account_id": s.account.pk}, see=frozenset({PO, KO}), post=True
    ),
    "ledger:month_close": Case(books, see=KUBE_READERS, post=True, write=frozenset({PO, KO})),
    "ledger:cash_book": Case(books, see=KUBE_READERS),
    "ledger:income_statement": Case(books, see=KUBE_READERS),
    "ledger:balance_sheet": Case(books, see=KUBE_READERS),
    "ledger:trial_balance": Case(books, see=KUBE_READERS),
    "ledger:loan_ledger": Case(books, see=KUBE_READERS),
    "ledger:iks_fund": Case(books, see=KUBE_READERS),
    "ledger:metrics": Case(books, see=KUBE_READERS),
    "ledger:region_metrics": Case(see=EVERYONE),
    "evaluation:round_list": Case(see=EVERYONE),
    "evaluation:round_new": Case(see=MANAGERS, post=True),
    "evaluation:round_detail": Case(round_, see=EVERYONE),
    "evaluation:round_score": Case(round_, see=MANAGERS, post=True, get=False),
    "evaluation:kube_score": Case(lambda s: {"round_id": s.round.pk, "kube_id": s.kube.pk}, see=EVERYONE - {VIEWER}),
    "evaluation:action_done": Case(
        lambda s: {"action_id": s.action.pk}, see=frozenset({PO, FAC}), post=True, get=False
    ),
    "evaluation:import": Case(round_, see=MANAGERS, post=True),
    "evaluation:survey": Case(
        lambda s: {"round_id": s.round.pk, "instrument": "welfare"}, see=frozenset({PO, FAC}), post=True
    ),
    # A questionnaire, the same for every region: no personal data.
    "evaluation:xlsform": Case(lambda s: {"instrument": "welfare", "version": 1}, see=EVERYONE, regional=False),
    "evaluation:analysis": Case(round_, see=frozenset({PO, EVAL})),
    "evaluation:export": Case(
        lambda s: {"round_id": s.round.pk, "instrument": "welfare", "fmt": "csv"}, see=frozenset({PO, EVAL})
    ),
    "reports:dashboard": Case(see=EVERYONE - {KO}),
    "reports:region": Case(code, see=EVERYONE - {KO}),
    "reports:kube": Case(lambda s: {"kube_id": s.kube.pk}, see=KUBE_READERS),
    "reports:kube_pdf": Case(lambda s: {"kube_id": s.kube.pk}, see=KUBE_READERS),
    "reports:facilitator": Case(lambda s: {"facilitator_id": s.facilitator.pk}, see=frozenset({PO, FAC})),
    "reports:plan": Case(code, see=EVERYONE - {KO}),
    "reports:evaluation_pdf": Case(code, see=EVERYONE - {KO}),
    "reports:evaluation_xlsx": Case(code, see=EVERYONE - {KO}),
    "api:accounts_list": Case(books, see=KUBE_READERS, api=True),
    "api:entries_list": Case(books, see=KUBE_READERS, api=True),
    "api:entry_create": Case(
        books,
        see=KUBE_READERS,
        api=True,
        post=True,
        get=False,
        body={"date": "2025-06-04", "description": "x", "lines": LINES},
    ),
    "api:operation_create": Case(books, see=KUBE_READERS, api=True, post=True, get=False, body=SALE),
    "api:kubes_list": Case(see=KUBE_READERS, api=True),
    "api:kube_detail": Case(books, see=KUBE_READERS, api=True),
    "api:member_add": Case(books, see=MANAGERS, api=True, post=True, get=False, body={"family_id": 1}),
    "api:member_leave": Case(
        lambda s: {"kube_id": s.kube.pk, "family_id": s.member.pk},
        see=MANAGERS,
        api=True,
        post=True,
        get=False,
        body={"left_on": "2025-07-01", "reason": "pindah"},
    ),
    "api:meetings_list": Case(books, see=KUBE_READERS, api=True),
    "api:meeting_create": Case(
        books, see=KUBE_READERS, api=True, post=True, get=False, body={"date": "2025-06-20", "attendance": []}
    ),
    "api:visits_list": Case(books, see=KUBE_READERS, api=True),
    "api:visit_create": Case(
        books,
        see=KUBE_READERS,
        api=True,
        post=True,
        get=False,
        body={"date": "2025-06-20", "purpose": "monitoring", "role_served": "fasilitator"},
    ),
    # Evaluators read the family list pseudonymised (no name, NIK or No KK: checked on every 200 of theirs).
    "api:families_list": Case(see=frozenset({PO, EVAL}), api=True),
    "api:family_detail": Case(lambda s: {"family_id": s.family.pk}, see=MANAGERS, api=True),  # evaluators: lists only
    "api:rounds_list": Case(see=EVERYONE, api=True),
    "api:round_detail": Case(round_, see=EVERYONE, api=True),
    "api:instrument_detail": Case(lambda s: {"round_id": s.round.pk, "instrument": "welfare"}, see=EVERYONE, api=True),
    "api:submission_create": Case(
        lambda s: {"round_id": s.round.pk, "instrument": "welfare"},
        see=frozenset({PO, FAC}),
        api=True,
        post=True,
        get=False,
        body={"kube_id": 1},
    ),
    "api:entry_reversal_create": Case(
        entry, see=KUBE_READERS, api=True, post=True, get=False, body={"reason": "salah"}
    ),
}

# Reachable without signing in, and holding no region's data.
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "api:openapi-json",
    "api:openapi-view",
    "api:docs_asset",
    "api:api-root",
}
ADMIN_PREFIX = "admin/"


def enumerate_routes() -> dict[str, str]:
    """{route key: full pattern} of every URL: `namespace:name`, or `namespace:<pattern>` when unnamed."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                inner = ":".join(n for n in (namespace, item.namespace) if n)
                walk(item, prefix + str(item.pattern), inner)
            else:
                assert isinstance(item, URLPattern)
                full = prefix + str(item.pattern)
                label = item.name or f"<{item.pattern}>"
                found[f"{namespace}:{label}" if namespace else label] = full

    walk(get_resolver(), "", "")
    return found


ALL_ROUTES = enumerate_routes()
ADMIN_ROUTES = sorted(k for k, pattern in ALL_ROUTES.items() if pattern.startswith(ADMIN_PREFIX))


def test_every_route_has_a_case():
    """A new URL without a line in ROUTES (or PUBLIC) fails here, and so does a line for a URL that is gone."""
    site = {k for k in ALL_ROUTES if k not in ADMIN_ROUTES}
    assert site - set(ROUTES) - PUBLIC == set(), "routes without a case in ROUTES"
    assert (set(ROUTES) | PUBLIC) - site == set(), "cases for routes that no longer exist"
    assert ADMIN_ROUTES, "the admin site is mounted"


# ---------------------------------------------------------------- the world, built once for this module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, kalbar_regions_csv, tmp_path_factory):
    """Both cities, built once and rolled back after the module (each test runs in its own savepoint)."""
    from berdaya.core.services import regions_load

    folder = tmp_path_factory.mktemp("routes-world")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=folder / "media"), transaction.atomic():
        regions_load(path=kalbar_regions_csv)
        built = build_world(folder)
        from berdaya.api.services import api_token_create

        # Tokens made here outlive each test's savepoint (a token made inside a test would be rolled back).
        for user in [built.admin, *built.a.users.values(), *built.b.users.values()]:
            TOKENS[user.pk] = api_token_create(user=user, actor=None)
        yield built
        transaction.set_rollback(True)


TOKENS: dict[int, str] = {}  # user id -> bearer token, made with the world


def request(client: Client, case: Case, method: str, user, url: str):
    """GET or POST `url` as `user` (signed in, or with a bearer token for an API route)."""
    if case.api:
        headers = {"Authorization": f"Bearer {TOKENS[user.pk]}"} if user is not None else {}
        if method == "get":
            return client.get(url, headers=headers)
        return client.post(url, data=json.dumps(case.body or {}), content_type="application/json", headers=headers)
    if user is not None:
        client.force_login(user)
    return client.get(url) if method == "get" else client.post(url, {})


def url_for(name: str, case: Case, side: Side) -> str:
    return reverse(name, kwargs=case.kwargs(side) if case.kwargs else None)


def written(world: World) -> tuple[int, ...]:
    """Row counts a refused POST must leave as they were."""
    models = [JournalEntry, Meeting, Visit, Membership, KubeEvent, Training, Assignment, Response, ImportBatch]
    return (*(m.objects.count() for m in models), EligibilityDecision.objects.count(), AuditEvent.objects.count())


def _cases(predicate) -> list:
    return [
        pytest.param(name, role, id=f"{name}-{role}")
        for name, case in ROUTES.items()
        for role in ROLES
        if predicate(case, role)
    ]


def _text(response) -> str:
    """The body as text; a workbook (a zip of XML) unpacked, so its cells are searched too. A PDF's text is
    compressed and is not searched here (tests/reports reads the report's data instead)."""
    body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if body[:2] == b"PK":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(body)) as workbook:
            return "\n".join(workbook.read(n).decode("utf-8", "replace") for n in workbook.namelist())
    return body.decode("utf-8", "replace")


# ---------------------------------------------------------------- another city's objects


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.kwargs is not None and c.regional and c.get))
def test_a_user_of_another_city_cannot_open_its_objects(client, world, db, name, role):
    case = ROUTES[name]

    response = request(client, case, "get", world.user(role), url_for(name, case, world.b))

    assert response.status_code in REFUSED, _text(response)[:300]


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.kwargs is not None and c.regional and c.post))
def test_a_user_of_another_city_cannot_write_to_its_objects(client, world, db, name, role):
    case = ROUTES[name]
    before = written(world)

    response = request(client, case, "post", world.user(role), url_for(name, case, world.b))

    assert response.status_code in REFUSED, _text(response)[:300]
    assert written(world) == before


# The control for the test below: these pages print the markers of their own city, so their absence from
# the other city's view of the page means something.
SHOWS_ITS_OWN_CITY = {
    "kube:list": "KUBE Rahasia",
    "mentoring:training_list": "Pelatihan",
    "mentoring:facilitator_list": "Pendamping",
    "evaluation:round_list": "Putaran",
}


@pytest.mark.parametrize("name", sorted(SHOWS_ITS_OWN_CITY))
def test_a_list_page_shows_its_own_city(client, world, db, name):
    text = _text(request(client, ROUTES[name], "get", world.b.users[PO], url_for(name, ROUTES[name], world.b)))

    assert [m for m in world.b.markers if m.startswith(SHOWS_ITS_OWN_CITY[name])] != []
    assert all(m in text for m in world.b.markers if m.startswith(SHOWS_ITS_OWN_CITY[name]))


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.kwargs is None and r in c.see))
def test_a_page_naming_no_object_prints_nothing_of_another_city(client, world, db, name, role):
    case = ROUTES[name]
    # Also with the filters the pages take pointing at the other city: a filter narrows a scope, never widens it.
    elsewhere = f"?wilayah={world.b.code}&kube={world.b.kube.pk}&status=active&tanggal=2025-06-30"

    for query in ("", elsewhere):
        response = request(client, case, "get", world.user(role), url_for(name, case, world.a) + query)

        assert response.status_code == case.status_for(role), query
        if response.status_code == 200:
            text = _text(response)
            assert [m for m in world.b.markers if m in text] == [], query


def test_a_data_subject_search_does_not_find_a_person_of_another_city(client, world, db):
    client.force_login(world.user(PO))

    elsewhere = client.post(reverse("pdp:subject_search"), {"nik": world.b.person.nik})
    own = client.post(reverse("pdp:subject_search"), {"nik": world.a.person.nik})  # the control

    assert elsewhere.status_code in {200, *REFUSED}
    # The form shows the NIK that was typed back to the user; nothing else of the other city.
    assert [m for m in world.b.markers if m in _text(elsewhere) and m != world.b.person.nik] == []
    assert "Tidak ada orang dengan NIK itu" in _text(elsewhere)
    assert own.status_code in {200, 302}
    found = _text(own) if own.status_code == 200 else own.url
    assert world.a.person.name in found or str(world.a.person.pk) in found


# ---------------------------------------------------------------- own city, another KUBE

GROUP_ROLES = [FAC, KO]  # scoped to KUBEs, not to a region (spec §2)


def _names_another_kube(name: str, case: Case, world: World) -> bool:
    return case.kwargs is not None and case.kwargs(world.a) != case.kwargs(world.neighbour)


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: r in GROUP_ROLES and c.kwargs is not None))
def test_a_pendamping_or_kube_officer_cannot_open_another_kube_of_their_city(client, world, db, name, role):
    case = ROUTES[name]
    if not _names_another_kube(name, case, world):
        pytest.skip("the URL names no KUBE, pendamping or book")  # the round, the job, a region code
    before = written(world)

    for method in [m for m, on in (("get", case.get), ("post", case.post)) if on]:
        response = request(client, case, method, world.user(role), url_for(name, case, world.neighbour))
        assert response.status_code in REFUSED, (method, _text(response)[:300])
    assert written(world) == before


# ---------------------------------------------------------------- own city, by role


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.get and r not in c.see))
def test_a_role_without_access_is_refused_in_its_own_city(client, world, db, name, role):
    case = ROUTES[name]

    response = request(client, case, "get", world.user(role), url_for(name, case, world.a))

    assert response.status_code in REFUSED, _text(response)[:300]


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.post and r not in c.writers()))
def test_a_role_without_access_cannot_write_in_its_own_city(client, world, db, name, role):
    case = ROUTES[name]
    before = written(world)

    response = request(client, case, "post", world.user(role), url_for(name, case, world.a))

    assert response.status_code in REFUSED, _text(response)[:300]
    assert written(world) == before


@pytest.mark.parametrize(("name", "role"), _cases(lambda c, r: c.get and r in c.see))
def test_a_role_with_access_opens_the_page_of_its_own_city(client, world, db, name, role):
    case = ROUTES[name]

    response = request(client, case, "get", world.user(role), url_for(name, case, world.a))

    assert response.status_code == case.status_for(role), _text(response)[:300]
    if role in (VIEWER, EVAL) and response.status_code == 200:
        # Spec §2, §9: viewers read aggregates, evaluators work pseudonymised: no name, NIK or No KK.
        text = _text(response)
        assert [p for p in world.a.personal if p in text] == []
        assert "••••••••" not in text  # not even masked


@pytest.mark.parametrize("name", [n for n, c in ROUTES.items() if c.get])
def test_an_admin_opens_the_page_of_either_city(client, world, db, name):
    # The control for the refusals above: the same URLs work for someone who may see them.
    case = ROUTES[name]
    for side in (world.a, world.b):
        response = request(client, case, "get", world.admin, url_for(name, case, side))
        assert response.status_code == case.status_for(Role.ADMIN), (side.code, _text(response)[:300])


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, db, name):
    case = ROUTES[name]
    method = "get" if case.get else "post"

    response = request(client, case, method, None, url_for(name, case, world.a))

    if case.api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", sorted(PUBLIC - {"logout", "set_language", "api:docs_asset", "api:api-root"}))
def test_a_public_page_opens_without_signing_in(client, world, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 200
    assert [m for m in world.a.markers + world.b.markers if m in _text(response)] == []


# ---------------------------------------------------------------- the admin site


def _admin_kwargs(pattern: str, world: World) -> dict:
    """Arguments for an admin URL: a real row of side b where the URL names one."""
    from django.contrib.contenttypes.models import ContentType

    kwargs = {}
    if "<path:object_id>" in pattern:
        kwargs["object_id"] = str(world.b.entry.pk)
    if "<path:content_type_id>" in pattern:
        kwargs["content_type_id"] = str(ContentType.objects.get_for_model(JournalEntry).pk)
    return kwargs


def _admin_url(key: str, world: World) -> str:
    pattern = ALL_ROUTES[key]
    if "(?P<app_label>" in pattern:
        return "/admin/ledger/"
    if "(?P<url>" in pattern:
        return "/admin/tidak-ada/"
    if ":<" in key:  # unnamed: the object URL that redirects to its change page
        return f"/admin/ledger/journalentry/{world.b.entry.pk}/"
    return reverse(key, kwargs=_admin_kwargs(pattern, world) or None)


# The sign-in form, its translations catalogue, and signing out (POST only): no data behind them.
PUBLIC_ADMIN = {"admin:login", "admin:jsi18n", "admin:logout"}


@pytest.fixture
def staff_officer(world):
    """A program officer someone made staff and gave every view permission: still not an admin."""
    user = type(world.admin).objects.get(pk=world.user(PO).pk)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.mark.parametrize("key", [k for k in ADMIN_ROUTES if k not in PUBLIC_ADMIN])
def test_only_admins_enter_the_admin_site(client, world, db, staff_officer, key):
    url = _admin_url(key, world)
    for user in [world.user(role) for role in ROLES]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302, (user.role, url)
        assert response.url.startswith(reverse("admin:login")), (user.role, url)


@pytest.mark.parametrize(
    "key", ["admin:index", "admin:ledger_journalentry_changelist", "admin:ledger_journalentry_change"]
)
def test_an_admin_enters_the_admin_site(client, world, db, key):
    client.force_login(world.admin)

    response = client.get(_admin_url(key, world))

    assert response.status_code == 200


# ---------------------------------------------------------------- another city's objects named in a form


def _second_member(s: Side):
    return s.kube.memberships.order_by("id")[1].family


@dataclass(frozen=True)
class FormCase:
    """A form of city a posted by its program officer, naming objects of city `s` in its fields.

    data(world, s): the POST body; count(): rows that the form writes. Posted with city a's objects the
    form writes (the control), with city b's it writes nothing.
    """

    route: str
    kwargs: Callable[[Side], dict] | None
    data: Callable[[World, Side], dict]
    count: Callable[[], int]


FORM_CASES = {
    "training for another city's KUBE": FormCase(
        "mentoring:training_new",
        None,
        lambda w, s: {
            "topic": "Pemasaran",
            "trainer": "Dinsos",
            "date": "2025-06-01",
            "days": "1",
            "region": w.a.code,
            "kubes": [s.kube.pk],
        },
        lambda: Training.objects.count(),
    ),
    "training in another city": FormCase(
        "mentoring:training_new",
        None,
        lambda w, s: {
            "topic": "Pemasaran",
            "trainer": "Dinsos",
            "date": "2025-06-01",
            "days": "1",
            "region": s.code,
            "kubes": [w.a.kube.pk],
        },
        lambda: Training.objects.count(),
    ),
    "pendamping living in another city": FormCase(
        "mentoring:facilitator_list",
        None,
        lambda w, s: {"name": "Pendamping Baru", "home_region": s.kecamatan, "cap": "5", "active": "on"},
        lambda: Facilitator.objects.count(),
    ),
    "ending another city's assignment": FormCase(
        "mentoring:assignment",
        None,
        lambda w, s: {"action": "end", "kube": s.kube.pk, "end": "2025-07-01", "reason": "pindah tugas"},
        lambda: Assignment.objects.filter(end__isnull=False).count(),
    ),
    "round of another city": FormCase(
        "evaluation:round_new",
        None,
        lambda w, s: {
            "name": "Putaran baru",
            "kind": "baseline",
            "region": s.code,
            "start_on": "2025-10-01",
            "end_on": "2025-10-31",
        },
        lambda: Round.objects.count(),
    ),
    "survey of another city's family": FormCase(
        "evaluation:survey",
        lambda s: {"round_id": s.round.pk, "instrument": "welfare"},
        lambda w, s: _survey_post(s.kube, _second_member(s)),
        lambda: Response.objects.count(),
    ),
}


def _survey_post(kube, family) -> dict:
    from tests.evaluation.test_pages import survey_post

    return survey_post(kube, family)


@pytest.mark.parametrize("label", sorted(FORM_CASES))
def test_a_form_naming_another_citys_object_writes_nothing(client, world, db, label):
    case = FORM_CASES[label]
    url = reverse(case.route, kwargs=case.kwargs(world.a) if case.kwargs else None)
    client.force_login(world.user(PO))
    before = case.count()

    refused = client.post(url, case.data(world, world.b))
    after_refused = case.count()
    done = client.post(url, case.data(world, world.a))  # the control: the same form with its own city's objects

    assert refused.status_code < 500
    assert after_refused == before
    assert done.status_code < 500
    assert case.count() == before + 1, _text(done)[:500]


@pytest.mark.parametrize("role", [Role.ADMIN, *ROLES])
def test_the_kube_ids_of_many_rounds_are_those_of_each_round(world, db, role):
    # The API's round list reads every round's KUBE ids in one query; it must scope as the one-round read.
    from berdaya.evaluation.selectors import round_kube_ids_in_scope, round_kubes_in_scope

    user = world.user(role)
    rounds = [world.a.round, world.b.round]

    many = round_kube_ids_in_scope(user=user, rounds=rounds)

    for round_ in rounds:
        one = list(round_kubes_in_scope(user=user, round=round_).order_by("pk").values_list("pk", flat=True))
        assert many[round_.pk] == one
    assert many[world.b.round.pk] == ([] if role != Role.ADMIN else [k.pk for k in world.b.round.kubes.order_by("pk")])
