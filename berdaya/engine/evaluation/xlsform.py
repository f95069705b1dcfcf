"""An instrument as an XLSForm workbook for ODK Collect / KoboToolbox (spec §8).

The workbook has the three standard sheets: `survey` (one row per item, after the `start` and `end`
metadata), `choices` (the answer lists the items use) and `settings` (`form_id`
`berdaya_<name>_v<version>`, `version`, `default_language`). Labels are bilingual: Bahasa Indonesia
is the default language and English the second. The form is flat (no groups), so the export
columns of ODK Central and KoboToolbox are the item codes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from berdaya.engine.evaluation.instruments import CONSENT_YES, NUMBER_TYPES, Instrument, Item

LANGUAGE_ID = "Indonesian (id)"
LANGUAGE_EN = "English (en)"

SURVEY_COLUMNS = (
    "type",
    "name",
    f"label::{LANGUAGE_ID}",
    f"label::{LANGUAGE_EN}",
    f"hint::{LANGUAGE_ID}",
    f"hint::{LANGUAGE_EN}",
    "required",
    f"required_message::{LANGUAGE_ID}",
    f"required_message::{LANGUAGE_EN}",
    "constraint",
    f"constraint_message::{LANGUAGE_ID}",
    f"constraint_message::{LANGUAGE_EN}",
    "relevant",
    "appearance",
)
CHOICES_COLUMNS = ("list_name", "name", f"label::{LANGUAGE_ID}", f"label::{LANGUAGE_EN}")
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language")


class XlsformError(ValueError):
    """pyxform refused a workbook: the form must not be handed to enumerators."""


@dataclass(frozen=True)
class XlsformCheck:
    """What pyxform made of a workbook: the XForm XML and its warnings (empty when clean)."""

    xform: str
    warnings: tuple[str, ...]


def xlsform_rows(instrument: Instrument) -> dict[str, list[dict[str, str]]]:
    """The three sheets as lists of rows (column -> text), before they are written."""
    survey = [
        {"type": "start", "name": "start"},
        {"type": "end", "name": "end"},
    ]
    consent = instrument.consent_item
    for item in instrument.items:
        survey.append(_survey_row(item, consent.code if consent and item.role == "answer" else ""))
    choices = [
        {
            "list_name": list_name,
            "name": choice.value,
            f"label::{LANGUAGE_ID}": choice.label,
            f"label::{LANGUAGE_EN}": choice.label_en or choice.label,
        }
        for list_name, options in instrument.choice_lists.items()
        for choice in options
    ]
    settings = [
        {
            "form_title": instrument.title,
            "form_id": instrument.form_id,
            "version": str(instrument.version),
            "default_language": LANGUAGE_ID,
        }
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def xlsform_write(instrument: Instrument, path: str | Path) -> Path:
    """Write the instrument as an XLSForm `.xlsx` at `path`; return the path.

    Raises OSError when the file cannot be written. `xlsform_check(path)` converts it with pyxform.
    """
    sheets = xlsform_rows(instrument)
    columns = {"survey": SURVEY_COLUMNS, "choices": CHOICES_COLUMNS, "settings": SETTINGS_COLUMNS}
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns[title]))
        for row in rows:
            sheet.append([row.get(column, "") or None for column in columns[title]])
    path = Path(path)
    workbook.save(path)
    return path


def xlsform_check(path: str | Path) -> XlsformCheck:
    """Convert a written XLSForm with pyxform (ODK's converter) and return the XForm and warnings.

    Raises XlsformError with pyxform's message when the form is invalid.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    try:
        result = convert(xlsform=str(path), warnings=warnings)
    except PyXFormError as error:
        raise XlsformError(f"{path}: pyxform menolak formulir: {error}") from error
    return XlsformCheck(xform=result.xform, warnings=tuple(dict.fromkeys([*warnings, *result.warnings])))


def _survey_row(item: Item, consent_code: str) -> dict[str, str]:
    kind = f"{item.type} {item.choice_list}" if item.choice_list else item.type
    row = {
        "type": kind,
        "name": item.code,
        f"label::{LANGUAGE_ID}": item.label,
        f"label::{LANGUAGE_EN}": item.label_en or item.label,
        f"hint::{LANGUAGE_ID}": item.hint,
        f"hint::{LANGUAGE_EN}": item.hint_en or item.hint,
        "appearance": "likert" if item.likert else "",
    }
    if item.required:
        row["required"] = "yes"
        row[f"required_message::{LANGUAGE_ID}"] = "Pertanyaan ini wajib dijawab."
        row[f"required_message::{LANGUAGE_EN}"] = "This question must be answered."
    constraint, message_id, message_en = _constraint(item)
    if constraint:
        row["constraint"] = constraint
        row[f"constraint_message::{LANGUAGE_ID}"] = message_id
        row[f"constraint_message::{LANGUAGE_EN}"] = message_en
    conditions = []
    if consent_code:
        conditions.append(f"${{{consent_code}}} = '{CONSENT_YES}'")
    if item.when is not None:
        conditions.append(f"({item.when.xpath()})" if consent_code else item.when.xpath())
    row["relevant"] = " and ".join(conditions)
    return row


def _constraint(item: Item) -> tuple[str, str, str]:
    """(XPath constraint, Indonesian message, English message) for numbers; empty otherwise."""
    if item.type not in NUMBER_TYPES:
        return "", "", ""
    parts, said_id, said_en = [], [], []
    if item.min is not None:
        parts.append(f". >= {_number(item.min)}")
        said_id.append(f"paling kecil {_number(item.min)}")
        said_en.append(f"at least {_number(item.min)}")
    if item.max is not None:
        parts.append(f". <= {_number(item.max)}")
        said_id.append(f"paling besar {_number(item.max)}")
        said_en.append(f"at most {_number(item.max)}")
    if item.max_of:
        parts.append(f". <= ${{{item.max_of}}}")
        said_id.append(f"tidak lebih dari jawaban '{item.max_of}'")
        said_en.append(f"not more than the answer to '{item.max_of}'")
    if not parts:
        return "", "", ""
    return " and ".join(parts), "Isi angka " + ", ".join(said_id) + ".", "Enter a number " + ", ".join(said_en) + "."


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
