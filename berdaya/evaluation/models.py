"""Evaluation (spec §8): survey rounds, the responses collected in them (web form, ODK Central or
KoboToolbox), the scores a round gives each KUBE, and the strengthening plan's actions.

The instruments themselves are versioned data files in the engine (engine/evaluation/instruments/);
a round and each response name the instrument and version they used, so a later version never
changes how an old answer is read. Writes go through `berdaya.evaluation.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from berdaya.core.models import Region
from berdaya.kube.models import Kube
from berdaya.registry.models import Family, Person


class RoundKind(models.TextChoices):
    BASELINE = "baseline", _("Awal (baseline)")
    MIDLINE = "midline", _("Tengah (midline)")
    ENDLINE = "endline", _("Akhir (endline)")


class InstrumentName(models.TextChoices):
    WELFARE = "welfare", _("Survei kesejahteraan keluarga")
    EMPOWERMENT = "empowerment", _("Survei keberdayaan anggota")
    GROUP_ASSESSMENT = "group_assessment", _("Penilaian kelompok oleh pendamping")


class Round(models.Model):
    """One survey round in a kab/kota: when, which instrument versions, which KUBEs."""

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=RoundKind.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    start_on = models.DateField()
    end_on = models.DateField()
    welfare_version = models.PositiveSmallIntegerField(default=1)
    empowerment_version = models.PositiveSmallIntegerField(default=1)
    group_assessment_version = models.PositiveSmallIntegerField(default=1)
    # The round a midline or endline is compared with.
    baseline = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="followups")
    kubes = models.ManyToManyField(Kube, related_name="evaluation_rounds", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_id", "start_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="round_name_unique_in_region"),
            models.CheckConstraint(condition=Q(end_on__gte=models.F("start_on")), name="round_end_after_start"),
            models.CheckConstraint(
                condition=Q(kind="baseline", baseline__isnull=True) | ~Q(kind="baseline"),
                name="round_baseline_has_no_baseline",
            ),
        ]
        verbose_name = _("putaran evaluasi")
        verbose_name_plural = _("putaran evaluasi")

    def __str__(self) -> str:
        return self.name

    def version_of(self, instrument: str) -> int:
        return int(getattr(self, f"{instrument}_version"))


class SubmissionImport(models.Model):
    """One file of submissions exported from ODK Central or KoboToolbox: imported whole, or refused whole
    with its row-level problems kept (that is the record of the attempt)."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Diimpor")
        REFUSED = "refused", _("Ditolak")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="imports")
    instrument = models.CharField(max_length=20, choices=InstrumentName.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    counts = models.JSONField(default=dict)
    problems = models.JSONField(default=list)  # [{line, column, message}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class Response(models.Model):
    """One filled-in instrument: a household (welfare), a member family's respondent (empowerment) or a
    KUBE (group assessment). Surveys name the family by its id on the round's roster, never by NIK.

    `comparison` marks an eligible family outside any KUBE surveyed as the comparison group, so the
    analysis can estimate a difference in differences.
    """

    class Source(models.TextChoices):
        WEB = "web", _("Formulir web")
        ODK = "odk", _("ODK Central")
        KOBO = "kobo", _("KoboToolbox")
        DEMO = "demo", _("Demo")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(max_length=20, choices=InstrumentName.choices)
    version = models.PositiveSmallIntegerField()
    kube = models.ForeignKey(Kube, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    comparison = models.BooleanField(default=False)
    answers = models.JSONField(default=dict)  # item code -> value, as the instrument version defines them
    collected_on = models.DateField()
    # ODK's instanceID, Kobo's _uuid, or the web form's key: a submission imported twice is stored once.
    instance_id = models.CharField(max_length=80, unique=True)
    source = models.CharField(max_length=5, choices=Source.choices)
    batch = models.ForeignKey(
        SubmissionImport, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round_id", "instrument", "id"]
        constraints = [
            # A group is assessed once per round; a household or member answers once per round.
            models.UniqueConstraint(
                fields=["round", "kube"],
                condition=Q(instrument="group_assessment"),
                name="one_group_assessment_per_round",
            ),
            models.UniqueConstraint(
                fields=["round", "instrument", "family"],
                condition=Q(instrument__in=["welfare", "empowerment"]),
                name="one_household_response_per_round",
            ),
            models.CheckConstraint(
                condition=Q(instrument="group_assessment", kube__isnull=False)
                | Q(instrument__in=["welfare", "empowerment"], family__isnull=False),
                name="response_names_its_respondent",
            ),
            models.CheckConstraint(
                condition=Q(comparison=False) | Q(kube__isnull=True), name="comparison_is_outside_kubes"
            ),
        ]
        indexes = [models.Index(fields=["round", "instrument", "kube"], name="response_round_kube")]

    def __str__(self) -> str:
        return f"{self.round} {self.instrument} #{self.pk}"


class Maturity(models.TextChoices):
    PENUMBUHAN = "PENUMBUHAN", _("Penumbuhan")
    PENGEMBANGAN = "PENGEMBANGAN", _("Pengembangan")
    MANDIRI = "MANDIRI", _("Mandiri")


class KubeScore(models.Model):
    """What a round says about one KUBE: each success indicator, the verdict, empowerment, welfare, maturity.

    Computed by `round_score` from responses, meetings, visits, trainings and the books; recomputing
    replaces it (the inputs are kept, so the score can always be redone).
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="scores")
    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="scores")
    successful = models.BooleanField()
    unmet = models.JSONField(default=list)
    missing = models.JSONField(default=list)
    indicators = models.JSONField(default=dict)  # code -> {met, value, threshold, reason}
    empowered_share = models.FloatField(null=True, blank=True)
    empowerment_index = models.FloatField(null=True, blank=True)
    welfare_m0 = models.FloatField(null=True, blank=True)
    maturity = models.CharField(max_length=12, choices=Maturity.choices)
    maturity_reason = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round_id", "kube_id"]
        constraints = [models.UniqueConstraint(fields=["round", "kube"], name="one_score_per_kube_round")]

    def __str__(self) -> str:
        return f"{self.kube} @ {self.round}"


class PlanOwner(models.TextChoices):
    KUBE = "kube", _("KUBE")
    FACILITATOR = "pendamping", _("Pendamping")
    DINAS = "dinas", _("Dinas Sosial")


class PlanAction(models.Model):
    """One action of a KUBE's strengthening plan (*rencana penguatan*, spec §8.5), from the rule table."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="plan_actions")
    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="plan_actions")
    indicator = models.CharField(max_length=200)  # the unmet indicators that asked for it, comma-separated
    cause = models.CharField(max_length=200, blank=True)
    rule = models.CharField(max_length=60)  # the rule's key in plan_rules.toml
    text = models.CharField(max_length=300)
    strategies = models.JSONField(default=dict)  # {tjokrowinoto, ismawan, suharto_level}
    owner = models.CharField(max_length=10, choices=PlanOwner.choices)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    done_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["kube_id", "owner", "due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "kube", "rule"], name="plan_action_once_per_round")]

    def __str__(self) -> str:
        return f"{self.kube}: {self.text[:40]}"
