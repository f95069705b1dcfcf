"""KUBEs (spec §3): the group, its members, officers, lifecycle events, business plan and aid; and the
formation runs that propose groups before an officer approves them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from berdaya.core.models import Region


class KubeState(models.TextChoices):
    PROPOSED = "proposed", _("Diusulkan")
    VERIFIED = "verified", _("Terverifikasi")
    ESTABLISHED = "established", _("Ditetapkan (SK)")
    FUNDED = "funded", _("Menerima bantuan UEP")
    ACTIVE = "active", _("Aktif")
    GRADUATED = "graduated", _("Mandiri")
    DISSOLVED = "dissolved", _("Dibubarkan")


# States in which a KUBE still holds its families: a family is in at most one of these at a time.
LIVE_STATES = (
    KubeState.PROPOSED,
    KubeState.VERIFIED,
    KubeState.ESTABLISHED,
    KubeState.FUNDED,
    KubeState.ACTIVE,
)
# States before the UEP aid is paid (the capital-loan readiness rule looks at these).
UNFUNDED_STATES = (KubeState.PROPOSED, KubeState.VERIFIED, KubeState.ESTABLISHED)


class Kube(models.Model):
    name = models.CharField(max_length=120)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="kubes")
    business_type = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=12, choices=KubeState.choices, default=KubeState.PROPOSED)
    formed_on = models.DateField(null=True, blank=True)
    musyawarah_on = models.DateField(null=True, blank=True)
    decree_number = models.CharField(max_length=80, blank=True)
    decree_date = models.DateField(null=True, blank=True)
    bank_name = models.CharField(max_length=80, blank=True)
    bank_account = models.CharField(max_length=40, blank=True)
    # The meeting house chosen by formation (a member family), and where it stands.
    meeting_family = models.ForeignKey(
        "registry.Family", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    formation_run = models.ForeignKey(
        "FormationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="kubes"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="kube_name_unique_in_village"),
            models.UniqueConstraint(
                fields=["decree_number"], condition=~Q(decree_number=""), name="kube_decree_number_unique"
            ),
            # A decree needs its date, and an established-or-later KUBE needs its decree.
            models.CheckConstraint(
                condition=Q(decree_number="", decree_date__isnull=True)
                | (~Q(decree_number="") & Q(decree_date__isnull=False)),
                name="kube_decree_number_and_date_together",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


class Membership(models.Model):
    """A family in a KUBE. `live` mirrors the KUBE's state so the database can hold the one-KUBE rule."""

    kube = models.ForeignKey(Kube, on_delete=models.CASCADE, related_name="memberships")
    family = models.ForeignKey("registry.Family", on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    left_reason = models.CharField(max_length=200, blank=True)
    live = models.BooleanField(default=True)

    class Meta:
        ordering = ["kube_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["family"], condition=Q(live=True), name="family_in_one_live_kube"),
            models.CheckConstraint(condition=Q(live=False) | Q(left_on__isnull=True), name="membership_live_not_left"),
        ]

    def __str__(self) -> str:
        return f"{self.kube} · {self.family}"


class OfficerRole(models.TextChoices):
    CHAIR = "ketua", _("Ketua")
    SECRETARY = "sekretaris", _("Sekretaris")
    TREASURER = "bendahara", _("Bendahara")


class Officer(models.Model):
    """A pengurus chosen by musyawarah: one person per role per KUBE, from a member family."""

    kube = models.ForeignKey(Kube, on_delete=models.CASCADE, related_name="officers")
    role = models.CharField(max_length=12, choices=OfficerRole.choices)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="officer_roles")
    # The officer's own login (role kube_officer), if they have one.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="kube_offices"
    )
    since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["kube_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["kube", "role"], name="one_officer_per_role"),
            models.UniqueConstraint(fields=["kube", "person"], name="one_role_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.kube}"


class KubeEvent(models.Model):
    """One lifecycle transition or notable change, with who, when and why (spec §3)."""

    kube = models.ForeignKey(Kube, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    effective_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["kube_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kube} {self.action}"


class BusinessPlan(models.Model):
    """RUB/RAB: agreed in a musyawarah whose meeting (with attendance) is kept as the consent."""

    kube = models.ForeignKey(Kube, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=150)
    agreed_on = models.DateField(null=True, blank=True)
    agreed_meeting = models.ForeignKey(
        "mentoring.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["kube", "version"], name="plan_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines.all())


class BusinessPlanLine(models.Model):
    class Kind(models.TextChoices):
        INVESTMENT = "investment", _("Modal/peralatan")
        OPERATING = "operating", _("Biaya operasional")
        INCOME = "income", _("Perkiraan pendapatan")

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=1)
    unit = models.CharField(max_length=20, blank=True)
    unit_price = models.BigIntegerField()  # rupiah

    class Meta:
        ordering = ["plan_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="plan_line_price_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="plan_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> int:
        return int(round(self.quantity * self.unit_price))


class Aid(models.Model):
    """UEP capital paid to the KUBE's own bank account; only after the decree (guarded in services)."""

    kube = models.ForeignKey(Kube, on_delete=models.PROTECT, related_name="aid")
    amount = models.BigIntegerField()  # rupiah
    paid_on = models.DateField()
    reference = models.CharField(max_length=80, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kube_id", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="aid_amount_positive")]

    def __str__(self) -> str:
        return f"UEP {self.kube} {self.amount}"


class FormationRun(models.Model):
    """One optimiser run for a kelurahan or kecamatan; its proposal is edited, then approved into KUBEs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Usulan")
        APPROVED = "approved", _("Disetujui")
        DISCARDED = "discarded", _("Dibatalkan")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    ruleset_name = models.CharField(max_length=80)
    size_min = models.PositiveSmallIntegerField()
    size_max = models.PositiveSmallIntegerField()
    target = models.PositiveSmallIntegerField()
    seed = models.IntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # groups: [{key, kode_wilayah, business_type, mixed, meeting_family_id, family_ids: [...]}]
    # unplaced: [{family_id, reason_code, reason}]
    groups = models.JSONField(default=list)
    unplaced = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Formasi {self.region_id} #{self.pk}"
