"""Families and persons from DTKS, the imports that brought them, and eligibility decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from berdaya.core.models import Region
from berdaya.engine.masking import mask_id


class Decision(models.TextChoices):
    ELIGIBLE = "ELIGIBLE", _("Layak")
    INELIGIBLE = "INELIGIBLE", _("Tidak layak")
    NEEDS_VERIFICATION = "NEEDS_VERIFICATION", _("Perlu verifikasi")


class Family(models.Model):
    """A family (Kartu Keluarga) as DTKS records it; family-level fields come from its candidate's row."""

    no_kk = models.CharField(max_length=32, unique=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="families"
    )
    id_dtks = models.CharField(max_length=40, blank=True)
    rt = models.CharField(max_length=8, blank=True)
    rw = models.CharField(max_length=8, blank=True)
    address = models.CharField(max_length=250, blank=True)
    desil = models.PositiveSmallIntegerField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    skill_text = models.CharField(max_length=120, blank=True)
    ready = models.BooleanField(null=True, blank=True)
    prior_aid = models.BooleanField(null=True, blank=True)
    latest_decision = models.ForeignKey(
        "EligibilityDecision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the family card's identifiers were replaced for a leaver (berdaya.pdp): the row stays for
    # the books and statistics, screening skips it.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["no_kk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(desil__isnull=True) | Q(desil__gte=1, desil__lte=10), name="family_desil_1_10"
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="family_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lon__isnull=True) | Q(lon__gte=-180, lon__lte=180), name="family_lon_range"
            ),
        ]

    def __str__(self) -> str:
        return f"KK {mask_id(self.no_kk)}"


class Person(models.Model):
    class Sex(models.TextChoices):
        L = "L", _("Laki-laki")
        P = "P", _("Perempuan")

    nik = models.CharField(max_length=32, null=True, blank=True, unique=True)
    # A person who left the family in a newer DTKS file keeps their record, detached.
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(max_length=150, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    marital_status = models.CharField(max_length=20, blank=True)
    relationship = models.CharField(max_length=40, blank=True)
    is_main_earner = models.BooleanField(null=True, blank=True)
    occupation = models.CharField(max_length=120, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)
    # Anonymising a leaver (berdaya.pdp) keeps only the birth year and marks the row, so screening skips it.
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_id", "source_line", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=["", "L", "P"]), name="person_sex_l_p"),
        ]

    def __str__(self) -> str:
        return f"NIK {mask_id(self.nik or '')}"


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Diterapkan")
        REFUSED = "refused", _("Ditolak")
        DRY_RUN = "dry_run", _("Uji coba")

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField(default=dict)
    # Row-level problems: [{line, column, value, reason_code, reason}], and file-level errors.
    problems = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class ImportChange(models.Model):
    """What one import did to one record: created, updated (with old and new values), moved, left."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    entity = models.CharField(max_length=10)  # family | person
    key = models.CharField(max_length=40)
    action = models.CharField(max_length=12)
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.entity} {self.action}"


class EligibilityRun(models.Model):
    ruleset_name = models.CharField(max_length=80)
    ruleset_version = models.PositiveIntegerField()
    ruleset_digest = models.CharField(max_length=20)
    as_of = models.DateField()
    region_prefix = models.CharField(max_length=13, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ruleset_name}@{self.ruleset_version} {self.as_of}"


class EligibilityDecision(models.Model):
    run = models.ForeignKey(EligibilityRun, on_delete=models.CASCADE, related_name="decisions")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Decision.choices, db_index=True)
    # {rule code: "PASS" | "FAIL[:detail]" | "UNKNOWN[:detail]"}
    outcomes = models.JSONField(default=dict)
    reasons = models.JSONField(default=list)  # [{code, outcome, text}] in Bahasa Indonesia
    conflicts = models.CharField(max_length=200, blank=True)
    failed_rules = models.CharField(max_length=250, blank=True)
    unknown_rules = models.CharField(max_length=250, blank=True)
    business_type = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["family_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "family"], name="decision_once_per_run"),
            models.CheckConstraint(condition=Q(decision__in=Decision.values), name="decision_known"),
        ]

    def __str__(self) -> str:
        return f"{self.family_id}: {self.decision}"
