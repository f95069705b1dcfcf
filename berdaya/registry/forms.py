from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from berdaya.engine.rulesets import bundled_rulesets

MAX_UPLOAD_MB = 200


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Berkas DTKS (CSV, XLSX atau Parquet)"))
    mapping = forms.FileField(label=_("Berkas pemetaan kolom (opsional)"), required=False)
    encoding = forms.ChoiceField(
        label=_("Pengodean CSV"),
        choices=[("utf-8", "UTF-8"), ("latin-1", "Latin-1 / Windows"), ("utf-16", "UTF-16")],
        initial="utf-8",
    )
    dry_run = forms.BooleanField(label=_("Periksa saja, jangan simpan"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in ("csv", "txt", "xlsx", "parquet"):
            raise forms.ValidationError(_("Jenis berkas tidak didukung: gunakan CSV, XLSX atau Parquet."))
        if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("Berkas lebih dari %(mb)s MB; gunakan perintah berdaya import.") % {"mb": MAX_UPLOAD_MB}
            )
        return upload


class ScreeningForm(forms.Form):
    ruleset = forms.ChoiceField(label=_("Perangkat aturan"))
    # A browser date field only understands ISO dates, whatever the language.
    as_of = forms.DateField(
        label=_("Tanggal acuan"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    region = forms.CharField(label=_("Kode wilayah program (opsional)"), required=False, max_length=13)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ruleset"].choices = [(n, n) for n in sorted(bundled_rulesets())]
        self.fields["ruleset"].initial = settings.BERDAYA["DEFAULT_RULESET"]
        self.fields["as_of"].initial = timezone.localdate()
