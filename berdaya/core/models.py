"""Regions, users with a role and a region scope, and the append-only audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Region(models.Model):
    """A Kemendagri region; the dotted code is the key (`61.71.04.1001`)."""

    class Level(models.TextChoices):
        PROVINSI = "provinsi", _("Provinsi")
        KABKOTA = "kabkota", _("Kabupaten/Kota")
        KECAMATAN = "kecamatan", _("Kecamatan")
        DESA = "desa", _("Desa/Kelurahan")

    code = models.CharField(max_length=13, primary_key=True)
    name = models.CharField(max_length=120)
    level = models.CharField(max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    PROGRAM_OFFICER = "program_officer", _("Petugas program (Dinas Sosial)")
    VIEWER = "viewer", _("Pemantau wilayah")
    FACILITATOR = "facilitator", _("Pendamping")
    KUBE_OFFICER = "kube_officer", _("Pengurus KUBE")
    EVALUATOR = "evaluator", _("Evaluator / peneliti")


class User(AbstractUser):
    """A person who signs in; what they may see is their role within their region."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    # None means the whole nation (admin, ministry viewer).
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    @property
    def region_prefix(self) -> str | None:
        if self.role == Role.ADMIN or self.is_superuser:
            return None
        return self.region_id or ""


class AuditEventQuerySet(models.QuerySet):
    """Audit rows are appended, never changed: a bulk update or delete is refused before it reaches the
    database (whose triggers refuse it too, migration core/0004, for raw SQL)."""

    def update(self, **kwargs):
        raise ValueError("audit events are append-only")

    def delete(self):
        raise ValueError("audit events are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValueError("audit events are append-only")


class AuditEvent(models.Model):
    """One row per change, reveal or bulk read; never updated or deleted (see services.audit_record)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # PROTECT: a user who left a trace cannot be deleted (SET_NULL would rewrite the log); deactivate them.
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


class Job(models.Model):
    """A long operation run by the background worker (core/jobs.py, core/tasks.py), with its progress.

    The queue (django-tasks) only knows "run task X with job id N"; this row is what the pages and the
    command line read: who asked, how far it got, and where the result is.
    """

    class Kind(models.TextChoices):
        DTKS_IMPORT = "dtks_import", _("Impor DTKS")
        ELIGIBILITY_SCREEN = "eligibility_screen", _("Penyaringan kelayakan")
        FORMATION_RUN = "formation_run", _("Formasi KUBE")
        EVALUATION_REPORT = "evaluation_report", _("Laporan evaluasi")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu")
        RUNNING = "running", _("Berjalan")
        DONE = "done", pgettext_lazy("job status", "Selesai")
        FAILED = "failed", _("Gagal")

    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    # total 0: the size of the work is not known yet (the page shows an indeterminate bar).
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_total=0) | models.Q(progress_done__lte=models.F("progress_total")),
                name="job_progress_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]), name="job_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return round(100 * self.progress_done / self.progress_total)
