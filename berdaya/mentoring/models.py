"""Mentoring (spec §6): pendamping and their assignments, visits, meetings with attendance, trainings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from berdaya.core.models import Region


class Facilitator(models.Model):
    """A pendamping: home kecamatan and a caseload cap (default from settings, spec §6 *unconfirmed*)."""

    name = models.CharField(max_length=150)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="facilitator"
    )
    home_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="facilitators")
    cap = models.PositiveSmallIntegerField(default=10)
    phone = models.CharField(max_length=30, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["home_region_id", "name"]
        constraints = [models.CheckConstraint(condition=Q(cap__gte=1), name="facilitator_cap_positive")]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A pendamping guiding a KUBE from `start` until `end`; a KUBE has one current pendamping at most."""

    kube = models.ForeignKey("kube.Kube", on_delete=models.CASCADE, related_name="assignments")
    facilitator = models.ForeignKey(Facilitator, on_delete=models.PROTECT, related_name="assignments")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    # "proposed" came from the assignment engine and was accepted; "override" was chosen by hand.
    source = models.CharField(max_length=10, default="override")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["kube_id", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["kube"], condition=Q(end__isnull=True), name="one_current_facilitator"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="assignment_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facilitator} → {self.kube}"


class VisitPurpose(models.TextChoices):
    TECHNICAL = "technical", _("Bimbingan teknis")
    MOTIVATION = "motivation", _("Motivasi")
    BOOKKEEPING = "bookkeeping", _("Pemeriksaan pembukuan")
    MONITORING = "monitoring", _("Pemantauan")
    REPORTING = "reporting", _("Bantuan laporan")


class FacilitatorRole(models.TextChoices):
    """Tjokrowinoto's roles of a pendamping (spec §6): which one a visit served."""

    FACILITATOR = "fasilitator", _("Fasilitator (menghubungkan kelompok dengan pihak lain)")
    COMMUNICATOR = "komunikator", _("Komunikator")
    DYNAMISER = "dinamisator", _("Dinamisator (menggerakkan kelompok)")


class Visit(models.Model):
    kube = models.ForeignKey("kube.Kube", on_delete=models.CASCADE, related_name="visits")
    facilitator = models.ForeignKey(Facilitator, null=True, on_delete=models.SET_NULL, related_name="visits")
    date = models.DateField()
    purpose = models.CharField(max_length=12, choices=VisitPurpose.choices)
    role_served = models.CharField(max_length=12, choices=FacilitatorRole.choices, blank=True)
    notes = models.TextField(blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    photo = models.FileField(upload_to="kunjungan/%Y/%m/", blank=True)
    # Sent by the phone with the form: a form re-sent after a dropped connection is stored once.
    client_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__isnull=True) | Q(lat__gte=-90, lat__lte=90), name="visit_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lon__isnull=True) | Q(lon__gte=-180, lon__lte=180), name="visit_lon_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Kunjungan {self.kube} {self.date}"


class Meeting(models.Model):
    kube = models.ForeignKey("kube.Kube", on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField()
    agenda = models.CharField(max_length=250, blank=True)
    spiritual_guidance = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    client_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "-date", "-id"]

    def __str__(self) -> str:
        return f"Pertemuan {self.kube} {self.date}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Hadir")
    EXCUSED = "excused", _("Izin")
    ABSENT = "absent", _("Tidak hadir")


class Attendance(models.Model):
    """One member family's attendance at one meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    family = models.ForeignKey("registry.Family", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        ordering = ["meeting_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "family"], name="attendance_once_per_meeting"),
            models.CheckConstraint(condition=Q(status__in=["present", "excused", "absent"]), name="attendance_status"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.status}"


class Training(models.Model):
    topic = models.CharField(max_length=200)
    trainer = models.CharField(max_length=150)
    date = models.DateField()
    days = models.PositiveSmallIntegerField(default=1)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date", "id"]

    def __str__(self) -> str:
        return f"{self.topic} ({self.date})"


class TrainingParticipant(models.Model):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="participants")
    kube = models.ForeignKey("kube.Kube", on_delete=models.CASCADE, related_name="training_participants")
    family = models.ForeignKey("registry.Family", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["training", "family"], name="training_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.training} · {self.family}"
