"""Forms of the evaluation pages: a new round, an ODK/Kobo file to import, a plan action done, and the
web survey built from an instrument version.

Forms check the shape of what was typed; the rules of a round, a response and an import are the
services' (`berdaya.evaluation.services`), whose refusals are shown on the form with what was typed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from berdaya.engine.evaluation.instruments import CONSENT_YES, Instrument, Item
from berdaya.evaluation.models import InstrumentName, Response, Round, RoundKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Items the web form fills itself: the round's kind, and "member family" (comparison families, outside any
# KUBE, are surveyed with ODK Collect or KoboToolbox and imported).
FIXED_ITEMS = ("round", "sample")
MEMBER_SAMPLE = "anggota"
# Choice lists this short (or a Likert scale) are one row of big segments; longer ones a list of rows.
SEGMENT_MAX_CHOICES = 2


def new_key() -> str:
    """The key a survey carries from the moment it is opened: a form sent twice is stored once."""
    return str(uuid.uuid4())


def _key_field() -> forms.CharField:
    # Named like the other phone forms' key so offline-forms.js fills it and keeps it in a queued draft.
    return forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class RoundForm(forms.Form):
    """A survey round: which kab/kota, what kind, when, and (for a midline or endline) its baseline."""

    name = forms.CharField(label=gettext_lazy("Nama putaran"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Jenis"), choices=RoundKind.choices, widget=forms.RadioSelect)
    region = forms.ModelChoiceField(label=gettext_lazy("Kabupaten/kota"), queryset=None, empty_label=None)
    start_on = forms.DateField(label=gettext_lazy("Mulai"), widget=DATE_WIDGET)
    end_on = forms.DateField(label=pgettext_lazy("round end date", "Selesai"), widget=DATE_WIDGET)
    baseline = forms.ModelChoiceField(
        label=gettext_lazy("Putaran awal yang dibandingkan"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("— tidak ada (putaran awal) —"),
    )

    def __init__(self, *args, regions, baselines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["baseline"].queryset = baselines
        self.fields["kind"].initial = RoundKind.BASELINE
        only = list(regions[:2])
        if len(only) == 1:
            self.fields["region"].initial = only[0]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == RoundKind.BASELINE:
            cleaned["baseline"] = None  # a baseline has none; a choice left over from switching kinds is dropped
        return cleaned


class ImportForm(forms.Form):
    """One CSV or XLSX export of one instrument's submissions."""

    instrument = forms.ChoiceField(
        label=gettext_lazy("Instrumen"), choices=InstrumentName.choices, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Dari"),
        choices=[(Response.Source.ODK, "ODK Central"), (Response.Source.KOBO, "KoboToolbox")],
        initial=Response.Source.ODK,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("Berkas CSV atau XLSX"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Pilih berkas CSV atau XLSX yang diekspor dari ODK Central atau Kobo."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Berkas lebih dari 20 MB; ekspor per bagian."))
        return upload


class ActionDoneForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Selesai pada"), widget=DATE_WIDGET)
    note = forms.CharField(label=gettext_lazy("Catatan (opsional)"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["on"].initial = today
        self.fields["on"].widget.attrs["max"] = today.isoformat()

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("Tanggal selesai tidak boleh di masa depan."))
        return on


# ---------------------------------------------------------------- the web survey


@dataclass(frozen=True)
class SurveyField:
    """One question as the template draws it: its item, its bound field, how to draw it, when to show it."""

    item: Item
    field: forms.BoundField
    look: str  # "segments", "choices", "checks" or "input"
    gated: bool  # asked only after a yes to the consent question

    @property
    def when_equals(self) -> str:
        return ",".join(self.item.when.equals) if self.item.when else ""

    @property
    def when_min(self) -> str:
        return "" if self.item.when is None or self.item.when.min is None else f"{self.item.when.min:g}"


def _number_attrs(item: Item, *, decimal: bool) -> dict[str, str]:
    attrs = {"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off"}
    if decimal:
        attrs["step"] = "any"
    return attrs


class SurveyForm(forms.Form):
    """One filled-in instrument, one field per item, built from the round's instrument version.

    Every field is optional to Django; `clean` decides what is required from what is shown: an item whose
    `when` condition does not hold (or, after a "no" to consent, every answer) is hidden, its value
    dropped, and never required. `values()` gives what `response_record` expects.
    """

    client_uuid = _key_field()

    def __init__(
        self,
        *args,
        instrument: Instrument,
        round: Round,
        kubes: list[tuple[int, str]],
        families: list[tuple[str, list[tuple[int, str]]]] | None = None,
        observer: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.round = round
        self.fields["client_uuid"].initial = new_key()
        self.consent_item = instrument.consent_item
        consent_first = [self.consent_item] if self.consent_item else []
        self.items = [
            *consent_first,
            *(i for i in instrument.items if i is not self.consent_item and i.code not in FIXED_ITEMS),
        ]
        for item in self.items:
            self.fields[item.code] = self._field(item, kubes=kubes, families=families or [], observer=observer)

    # -- building

    def _field(self, item: Item, *, kubes, families, observer: str) -> forms.Field:
        common = {"label": item.label, "help_text": item.hint, "required": False}
        if item.code == "kube_id":
            field = forms.TypedChoiceField(coerce=int, choices=[("", _("— pilih KUBE —")), *kubes], **common)
            if len(kubes) == 1:
                field.initial = kubes[0][0]
            return field
        if item.code == "family_id":
            return forms.TypedChoiceField(coerce=int, choices=[("", _("— pilih keluarga —")), *families], **common)
        if item.type == "select_one":
            choices = [(c.value, c.label) for c in item.choices]
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        if item.type == "select_multiple":
            choices = [(c.value, c.label) for c in item.choices]
            return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
        if item.type == "integer":
            return forms.IntegerField(
                min_value=item.min,
                max_value=item.max,
                widget=forms.NumberInput(attrs=_number_attrs(item, decimal=False)),
                **common,
            )
        if item.type == "decimal":
            return forms.FloatField(
                min_value=item.min,
                max_value=item.max,
                widget=forms.NumberInput(attrs=_number_attrs(item, decimal=True)),
                **common,
            )
        if item.type == "date":
            field = forms.DateField(widget=DATE_WIDGET, **common)
            field.initial = min(timezone.localdate(), self.round.end_on)
            return field
        field = forms.CharField(max_length=500, **common)
        if item.code == "observer":
            field.initial = observer
        return field

    @staticmethod
    def _look(item: Item) -> str:
        if item.type == "select_one" and item.code not in ("kube_id", "family_id"):
            return "segments" if item.likert or len(item.choices) <= SEGMENT_MAX_CHOICES else "choices"
        if item.type == "select_multiple":
            return "checks"
        return "input"

    @property
    def consent_code(self) -> str:
        return self.consent_item.code if self.consent_item else ""

    @property
    def fixed_values(self) -> dict[str, str]:
        """The items the web form answers itself: the round's kind, and a member family."""
        fixed = {"round": str(self.round.kind), "sample": MEMBER_SAMPLE}
        return {code: value for code, value in fixed.items() if code in self.instrument.codes}

    @property
    def survey_fields(self) -> list[SurveyField]:
        gate = self.consent_item is not None
        return [
            SurveyField(item=item, field=self[item.code], look=self._look(item), gated=gate and item.role == "answer")
            for item in self.items
        ]

    # -- checking

    def _converted(self, item: Item, value: Any) -> Any:
        if value in (None, "", [], ()):
            return None
        if item.type == "select_one" and item.numeric_choices:
            return int(value)
        if item.type == "select_multiple":
            return list(value)
        return value

    def clean(self):
        cleaned = super().clean()
        shown: dict[str, Any] = dict(self.fixed_values)  # code -> converted answer, for the items asked
        consented = True
        for item in self.items:
            asked = not (item.role == "answer" and not consented)
            if asked and item.when is not None:
                asked = item.when.code in shown and item.when.holds(shown[item.when.code])
            if not asked:
                # A hidden question is neither required nor checked: whatever it held is dropped.
                self._errors.pop(item.code, None)
                cleaned[item.code] = None
                continue
            value = self._converted(item, cleaned.get(item.code))
            cleaned[item.code] = value
            shown[item.code] = value
            if item.code in self._errors:
                continue
            if value is None and item.required:
                self.add_error(item.code, _("Wajib diisi."))
            elif (
                item.max_of and value is not None and shown.get(item.max_of) is not None and value > shown[item.max_of]
            ):
                self.add_error(
                    item.code,
                    _("Tidak boleh lebih dari jawaban “%(other)s” (%(limit)s).")
                    % {"other": self.instrument.item(item.max_of).label, "limit": shown[item.max_of]},
                )
            if item.role == "consent":
                consented = value is not None and str(value) == CONSENT_YES
        self.declined = self.consent_item is not None and not consented
        return cleaned

    def values(self) -> dict[str, Any]:
        """item code -> answer as `response_record` takes it (the form's fixed items filled in)."""
        return {**self.fixed_values, **{item.code: self.cleaned_data.get(item.code) for item in self.items}}
