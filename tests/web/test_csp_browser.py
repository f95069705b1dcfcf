"""The content-security policy in a real browser: Chromium reports every blocked script, style or image
(a `securitypolicyviolation` event and a "Refused to …" console line); the main pages must cause none,
and the scripts moved out of the templates must still run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from berdaya.core.models import Job, Role, User
from berdaya.evaluation.models import Round
from berdaya.kube.models import KubeState
from berdaya.ledger.models import JournalEntry
from berdaya.ledger.services import operation_post
from berdaya.registry.models import Family
from tests.factories import assign, make_facilitator, make_kube
from tests.reports.conftest import build_world
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser
DAY = dt.date(2025, 3, 3)

# Recorded by the page itself from its first moment (an init script is injected by the browser, not subject
# to the page's policy); read back after each page has settled.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


class Violations:
    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.events: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.console.append(f"{self.page.url}: {text}")

    def visit(self, url: str) -> int:
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(150)  # deferred scripts and the first timers have run
        self.collect()
        return response.status if response else 0

    def collect(self) -> None:
        found = self.page.evaluate("window.__cspViolations || []")
        self.events.extend(f"{self.page.url}: {v}" for v in found)
        self.page.evaluate("window.__cspViolations = []")

    @property
    def all(self) -> list[str]:
        return self.events + self.console


@pytest.fixture
def violations(page):
    return Violations(page)


@pytest.fixture
def world(officer, make_user):
    """tests/reports' world (KUBEs, a pendamping's visits and meetings, decisions, two scored rounds), books
    with a loan, a formation run, a job still queued, a pendamping with a login, and a superuser."""
    world = build_world(officer)
    jagung = world["jagung"]
    member = jagung.memberships.order_by("id").first()
    operation_post(actor=None, kube=jagung, kind="from_bank", date=DAY, amount=2_000_000)
    operation_post(actor=None, kube=jagung, kind="loan_out", date=DAY, amount=1_000_000, member=member, term_months=5)
    field = make_kube(name="KUBE Sagu", size=5, state=KubeState.ACTIVE)
    assign(field, make_facilitator(user=make_user("pendamping", Role.FACILITATOR, "61.71.04")))
    admin = make_user("super", Role.ADMIN)
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    job = Job.objects.create(kind=Job.Kind.ELIGIBILITY_SCREEN, actor=officer, params={})
    return {**world, "field": field, "job": job, "member": member}


def officer_pages(world) -> dict[str, str]:
    jagung, andi = world["jagung"].pk, world["andi"].pk
    family = Family.objects.order_by("id").first().pk
    entry = JournalEntry.objects.filter(kube_id=jagung).latest("number").pk
    round_id = Round.objects.get(name="Akhir").pk
    pages = {
        "home": reverse("home"),
        "dashboard": reverse("reports:dashboard"),
        "region": reverse("reports:region", args=["61.71"]),
        "kube report (SVG charts)": reverse("reports:kube", args=[jagung]),
        "facilitator report": reverse("reports:facilitator", args=[andi]),
        "plan": reverse("reports:plan", args=["61.71"]),
        "families": reverse("registry:family_list"),
        "family": reverse("registry:family_detail", args=[family]),
        "import": reverse("registry:import_upload"),
        "screening": reverse("registry:screening_run"),
        "kubes": reverse("kube:list"),
        "kube": reverse("kube:detail", args=[jagung]),
        "formations": reverse("kube:formation_list"),
        "facilitators": reverse("mentoring:facilitator_list"),
        "assignment": reverse("mentoring:assignment"),
        "attention": reverse("mentoring:attention"),
        "trainings": reverse("mentoring:training_list"),
        "books": reverse("ledger:books", args=[jagung]),
        "journal": reverse("ledger:journal", args=[jagung]),
        "entry": reverse("ledger:entry", args=[jagung, entry]),
        "balance sheet": reverse("ledger:balance_sheet", args=[jagung]),
        "loan ledger": reverse("ledger:loan_ledger", args=[jagung]),
        "kube metrics": reverse("ledger:metrics", args=[jagung]),
        "region metrics": reverse("ledger:region_metrics"),
        "rounds": reverse("evaluation:round_list"),
        "round": reverse("evaluation:round_detail", args=[round_id]),
        "kube score": reverse("evaluation:kube_score", args=[round_id, jagung]),
        "survey": reverse("evaluation:survey", args=[round_id, "welfare"]),
        "analysis": reverse("evaluation:analysis", args=[round_id]),
        "jobs": reverse("core:job_list"),
    }
    return pages


def test_the_violation_recorder_notices_a_blocked_inline_script(page, live_server, violations, officer):
    # The recorder itself must be able to fail: an inline script added by hand is blocked and reported.
    violations.visit(live_server.url + reverse("login"))
    page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'), {textContent: 'window.ran = 1'}))"
    )
    page.wait_for_timeout(100)
    violations.collect()
    assert page.evaluate("window.ran === undefined")
    assert any("script-src" in v for v in violations.all)


def test_the_main_pages_cause_no_policy_violation(page, live_server, violations, world):
    assert violations.visit(live_server.url + reverse("login")) == 200
    sign_in(page, live_server, "petugas")
    statuses = {name: violations.visit(live_server.url + url) for name, url in officer_pages(world).items()}
    assert {name: s for name, s in statuses.items() if s != 200} == {}
    assert violations.all == []


def test_the_moved_scripts_still_run_under_the_policy(page, live_server, violations, world):
    sign_in(page, live_server, "petugas")

    # job-progress.js polls the job's status and reloads the page once it has finished.
    job = world["job"]
    violations.visit(live_server.url + reverse("core:job", args=[job.pk]))
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, result={})
    page.wait_for_selector('#job[data-finished="1"]', timeout=20_000)

    # loan-fee.js fills the suggested jasa when the borrower is picked (1 % of Rp1.000.000 still owed).
    violations.visit(live_server.url + reverse("ledger:operation", args=[world["jagung"].pk, "repayment"]))
    page.select_option("#id_member", str(world["member"].pk))
    assert page.input_value("#id_fee") == "10.000"
    violations.collect()
    assert violations.all == []


def test_the_field_and_survey_pages_cause_no_policy_violation(page, live_server, violations, world):
    sign_in(page, live_server, "pendamping")
    field = world["field"].pk
    for url in (
        reverse("mentoring:my_groups"),
        reverse("mentoring:meeting_new", args=[field]),
        reverse("mentoring:visit_new", args=[field]),
    ):
        assert violations.visit(live_server.url + url) == 200
    assert violations.all == []


def test_the_admin_and_the_api_docs_cause_no_policy_violation(page, live_server, violations, world):
    sign_in(page, live_server, "super")
    for url in (
        reverse("admin:index"),
        reverse("admin:ledger_journalentry_changelist"),
        reverse("admin:ledger_journalentry_change", args=[JournalEntry.objects.order_by("id").first().pk]),
        reverse("admin:ledger_account_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
    ):
        assert violations.visit(live_server.url + url) == 200
    assert violations.visit(live_server.url + "/api/docs") == 200
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # Swagger drew the routes
    violations.collect()
    assert violations.all == []


def test_the_lockout_page_causes_no_policy_violation(page, live_server, violations, officer, settings):
    settings.AXES_FAILURE_LIMIT = 2
    violations.visit(live_server.url + reverse("login"))
    for _ in range(2):
        page.fill("#id_username", "petugas")
        page.fill("#id_password", "salah-sekali")
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_load_state("load")
    assert "Terlalu banyak percobaan masuk yang gagal" in page.locator("#lockout").inner_text()
    violations.collect()
    assert violations.all == []
