"""Forms for the KUBE lifecycle steps. Each form checks its fields and calls one service in `apply`."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from berdaya.kube import services
from berdaya.kube.models import Kube, KubeState
from berdaya.registry.models import Person


class StepForm(forms.Form):
    title = ""
    done_message = ""

    def __init__(self, *args, kube: Kube, **kwargs):
        super().__init__(*args, **kwargs)
        self.kube = kube

    def apply(self, *, actor) -> None:  # pragma: no cover - every step overrides it
        raise NotImplementedError


def _today():
    return timezone.localdate()


class OfficersForm(StepForm):
    title = _("Pengurus hasil musyawarah")
    done_message = _("Pengurus dicatat.")
    chair = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("Ketua"))
    secretary = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("Sekretaris"))
    treasurer = forms.ModelChoiceField(queryset=Person.objects.none(), label=_("Bendahara"))
    since = forms.DateField(label=_("Sejak"), initial=_today, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, kube: Kube, **kwargs):
        super().__init__(*args, kube=kube, **kwargs)
        people = Person.objects.filter(family__memberships__kube=kube, family__memberships__live=True).order_by(
            "family_id", "id"
        )
        for name in ("chair", "secretary", "treasurer"):
            self.fields[name].queryset = people
            self.fields[name].label_from_instance = lambda p: f"{p.name} ({p})"

    def apply(self, *, actor) -> None:
        data = self.cleaned_data
        services.officers_set(
            actor=actor,
            kube=self.kube,
            chair=data["chair"],
            secretary=data["secretary"],
            treasurer=data["treasurer"],
            since=data["since"],
        )


class VerifyForm(StepForm):
    title = _("Verifikasi: musyawarah dan rekening")
    done_message = _("KUBE terverifikasi.")
    musyawarah_on = forms.DateField(label=_("Tanggal musyawarah"), widget=forms.DateInput(attrs={"type": "date"}))
    bank_name = forms.CharField(label=_("Bank"), max_length=80)
    bank_account = forms.CharField(label=_("Nomor rekening KUBE"), max_length=40)

    def apply(self, *, actor) -> None:
        services.kube_verify(actor=actor, kube=self.kube, **self.cleaned_data)


class EstablishForm(StepForm):
    title = _("Penetapan (SK)")
    done_message = _("SK penetapan dicatat.")
    decree_number = forms.CharField(label=_("Nomor SK"), max_length=80)
    decree_date = forms.DateField(label=_("Tanggal SK"), widget=forms.DateInput(attrs={"type": "date"}))

    def apply(self, *, actor) -> None:
        services.kube_establish(actor=actor, kube=self.kube, **self.cleaned_data)


class AidForm(StepForm):
    title = _("Bantuan UEP")
    done_message = _("Bantuan UEP dicatat.")
    amount = forms.IntegerField(label=_("Jumlah (Rp)"), min_value=1)
    paid_on = forms.DateField(label=_("Tanggal bayar"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Referensi pembayaran"), max_length=80)

    def apply(self, *, actor) -> None:
        services.aid_record(actor=actor, kube=self.kube, **self.cleaned_data)


class ActivateForm(StepForm):
    title = _("Mulai usaha (aktif)")
    done_message = _("KUBE aktif.")
    on = forms.DateField(label=_("Tanggal"), initial=_today, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Catatan"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def apply(self, *, actor) -> None:
        services.kube_activate(actor=actor, kube=self.kube, **self.cleaned_data)


class GraduateForm(StepForm):
    title = _("Tetapkan mandiri")
    done_message = _("KUBE ditetapkan mandiri.")
    on = forms.DateField(label=_("Tanggal"), initial=_today, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Dasar penetapan"), widget=forms.Textarea(attrs={"rows": 3}))

    def apply(self, *, actor) -> None:
        services.kube_graduate(actor=actor, kube=self.kube, **self.cleaned_data)


class DissolveForm(StepForm):
    title = _("Bubarkan KUBE")
    done_message = _("KUBE dibubarkan.")
    on = forms.DateField(label=_("Tanggal"), initial=_today, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 3}))

    def apply(self, *, actor) -> None:
        services.kube_dissolve(actor=actor, kube=self.kube, **self.cleaned_data)


STEP_FORMS: dict[str, type[StepForm]] = {
    "pengurus": OfficersForm,
    "verifikasi": VerifyForm,
    "sk": EstablishForm,
    "bantuan": AidForm,
    "aktif": ActivateForm,
    "mandiri": GraduateForm,
    "bubar": DissolveForm,
}

# Which steps a state offers; the services still guard each one.
_STEPS_BY_STATE = {
    KubeState.PROPOSED: ["pengurus", "verifikasi", "bubar"],
    KubeState.VERIFIED: ["pengurus", "sk", "bubar"],
    KubeState.ESTABLISHED: ["pengurus", "bantuan", "bubar"],
    KubeState.FUNDED: ["pengurus", "bantuan", "aktif", "bubar"],
    KubeState.ACTIVE: ["pengurus", "bantuan", "mandiri", "bubar"],
}


def steps_available(kube: Kube) -> list[tuple[str, str]]:
    return [(step, str(STEP_FORMS[step].title)) for step in _STEPS_BY_STATE.get(kube.state, [])]
