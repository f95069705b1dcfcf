"""Forms of the data-subject pages: find by NIK, correct, anonymise. Checks of meaning are in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from berdaya.registry.models import Person


class SubjectSearchForm(forms.Form):
    nik = forms.CharField(label=_("NIK"), max_length=32)


class SubjectCorrectForm(forms.Form):
    """Prefilled with the current values; only what differs is changed (and audited)."""

    nik = forms.CharField(label=_("NIK"), max_length=32, required=False)
    name = forms.CharField(label=_("Nama"), max_length=150, required=False)
    sex = forms.ChoiceField(label=_("Jenis kelamin"), choices=[("", "—"), *Person.Sex.choices], required=False)
    birth_date = forms.DateField(
        label=_("Tanggal lahir"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    marital_status = forms.CharField(label=_("Status kawin"), max_length=20, required=False)
    relationship = forms.CharField(label=_("Hubungan keluarga"), max_length=40, required=False)
    occupation = forms.CharField(label=_("Pekerjaan"), max_length=120, required=False)
    no_kk = forms.CharField(label=_("No KK"), max_length=32, required=False)
    address = forms.CharField(label=_("Alamat"), max_length=250, required=False)
    rt = forms.CharField(label=_("RT"), max_length=8, required=False)
    rw = forms.CharField(label=_("RW"), max_length=8, required=False)
    reason = forms.CharField(label=_("Alasan koreksi"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, has_family: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_family:
            for name in ("no_kk", "address", "rt", "rw"):
                del self.fields[name]

    def changes(self) -> dict:
        """The submitted field values (the service keeps only those that differ)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class SubjectAnonymiseForm(forms.Form):
    reason = forms.CharField(label=_("Alasan (mis. keluar dari program)"), widget=forms.Textarea(attrs={"rows": 2}))
    whole_family = forms.BooleanField(label=_("Anonimkan seluruh anggota kartu keluarga"), required=False)
    confirm = forms.BooleanField(label=_("Saya paham: identitas diganti dan tidak dapat dikembalikan"))
