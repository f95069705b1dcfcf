"""Survey instruments (spec §8): versioned data files (TOML) loaded into frozen dataclasses.

Three instruments ship with the package in `instruments/`, one file per version named
`<name>-v<version>.toml`: `welfare` (household), `empowerment` (member: four powers x three
spheres) and `group_assessment` (a KUBE observed by its pendamping). An item's `code` is its
XLSForm `name` and its column in ODK Central / KoboToolbox exports, so a code never changes inside
a version: a changed questionnaire is a new file with the next version number.

File format (see the shipped files):

    name, version, title, title_en, description, respondent (household | member | group), source
    [choices.<list>]   likert = true|false; options = [{ value, label, label_en }, ...]
    [[indicators]]     code, label, label_en, weight (default 1), note; power and sphere (empowerment)
    [[items]]          code, type, label, label_en, hint, hint_en, required (default true),
                       role (answer | id | consent; default answer), indicator, choices (a list name),
                       min, max (integer and decimal), max_of (an earlier item's code),
                       when = { code = "...", equals = ["..."] } or { code = "...", min = N }

A Likert list holds exactly the values 1..4. Answers (role `answer`) are asked only after a yes
to the consent item, when there is one.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

ITEM_TYPES = ("select_one", "select_multiple", "integer", "decimal", "text", "date")
SELECT_TYPES = ("select_one", "select_multiple")
NUMBER_TYPES = ("integer", "decimal")
ROLES = ("answer", "id", "consent")
RESPONDENTS = ("household", "member", "group")
POWERS = ("within", "to", "over", "with")
SPHERES = ("economic", "services", "social")
LIKERT_MIN = 1
LIKERT_MAX = 4
CONSENT_YES = "1"

# XLSForm names must be XML names; we keep to letters, digits and underscores so that an ODK
# export column (`group-code`, `group/code`) can be split back into its code without doubt.
_CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHOICE_VALUE = re.compile(r"^[A-Za-z0-9_.]+$")
_FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)-v(?P<version>[0-9]+)$")

_TOP_KEYS = {"name", "version", "title", "title_en", "description", "respondent", "source"}
_TOP_KEYS |= {"choices", "indicators", "items"}
_ITEM_KEYS = {"code", "type", "label", "label_en", "hint", "hint_en", "required", "role", "indicator"}
_ITEM_KEYS |= {"choices", "min", "max", "max_of", "when"}
_Fail = Callable[..., "InstrumentError"]
_INDICATOR_KEYS = {"code", "label", "label_en", "weight", "note", "power", "sphere"}


class InstrumentError(ValueError):
    """An instrument that cannot be found or whose file does not make sense.

    The message (Bahasa Indonesia) names the file and, where known, the item code.
    """

    def __init__(self, message: str, *, path: str = "", item: str = ""):
        self.message = message
        self.path = path
        self.item = item
        where = ", ".join(part for part in (path, f"butir '{item}'" if item else "") if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class Choice:
    """One answer option: `value` is the XLSForm choice name (what exports contain)."""

    value: str
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class Condition:
    """When an item is asked: another item's answer is one of `equals`, or at least `min`."""

    code: str
    equals: tuple[str, ...] = ()
    min: float | None = None

    def holds(self, answer: Any) -> bool:
        """Whether the condition holds for the (converted) answer of item `code`."""
        if answer is None:
            return False
        if self.equals:
            return str(answer) in self.equals
        try:
            return self.min is not None and float(answer) >= self.min
        except (TypeError, ValueError):
            return False

    def xpath(self) -> str:
        """The condition as an XLSForm `relevant` expression."""
        if self.equals:
            return " or ".join(f"${{{self.code}}} = '{value}'" for value in self.equals)
        return f"${{{self.code}}} >= {_number_text(self.min)}"


@dataclass(frozen=True)
class Item:
    """One question. `indicator` is the indicator or dimension it feeds ('' for id fields)."""

    code: str
    type: str
    label: str
    label_en: str = ""
    hint: str = ""
    hint_en: str = ""
    required: bool = True
    role: str = "answer"
    indicator: str = ""
    choice_list: str = ""
    choices: tuple[Choice, ...] = ()
    likert: bool = False
    min: float | None = None
    max: float | None = None
    max_of: str = ""
    when: Condition | None = None

    @property
    def scale(self) -> tuple[int, int] | None:
        """(1, 4) for a Likert item, else None."""
        return (LIKERT_MIN, LIKERT_MAX) if self.likert else None

    @property
    def numeric_choices(self) -> bool:
        """Whether every choice value is a whole number (Likert, yes/no): answers are then ints."""
        return bool(self.choices) and all(_is_int(choice.value) for choice in self.choices)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Indicator:
    """An indicator (empowerment: one power in one sphere) or a dimension (welfare)."""

    code: str
    label: str
    label_en: str = ""
    weight: float = 1.0
    note: str = ""
    power: str = ""
    sphere: str = ""


@dataclass(frozen=True)
class Instrument:
    """One version of one survey instrument. `digest` identifies the exact file it came from."""

    name: str
    version: int
    title: str
    title_en: str
    description: str
    respondent: str
    items: tuple[Item, ...]
    indicators: tuple[Indicator, ...]
    source: str = ""
    path: str = ""
    digest: str = ""

    @property
    def form_id(self) -> str:
        """The XLSForm `form_id`: `berdaya_<name>_v<version>`."""
        return f"berdaya_{self.name}_v{self.version}"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> Item:
        """The item with this code; KeyError when there is none."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def consent_item(self) -> Item | None:
        return next((item for item in self.items if item.role == "consent"), None)

    @property
    def answer_items(self) -> tuple[Item, ...]:
        """The questions proper (not the identification fields or the consent question)."""
        return tuple(item for item in self.items if item.role == "answer")

    @property
    def choice_lists(self) -> dict[str, tuple[Choice, ...]]:
        """List name -> choices, for the lists the items use, in first-use order."""
        lists: dict[str, tuple[Choice, ...]] = {}
        for item in self.items:
            if item.choice_list and item.choice_list not in lists:
                lists[item.choice_list] = item.choices
        return lists

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)


def items_by_indicator(instrument: Instrument) -> dict[str, tuple[Item, ...]]:
    """Indicator (or dimension) code -> the items that feed it, in the file's order.

    Every declared indicator is a key (the loader guarantees each has at least one item);
    identification and consent items feed none and are left out.
    """
    grouped: dict[str, list[Item]] = {indicator.code: [] for indicator in instrument.indicators}
    for item in instrument.items:
        if item.indicator:
            grouped[item.indicator].append(item)
    return {code: tuple(items) for code, items in grouped.items()}


def bundled_instrument_files() -> dict[tuple[str, int], Path]:
    """(name, version) -> path of every instrument file shipped with the package."""
    folder = resources.files("berdaya.engine.evaluation") / "instruments"
    found: dict[tuple[str, int], Path] = {}
    for entry in folder.iterdir():
        path = Path(str(entry))
        match = _FILE_NAME.match(path.stem) if path.suffix == ".toml" else None
        if match:
            found[(match["name"], int(match["version"]))] = path
    return found


def list_instruments() -> dict[str, tuple[int, ...]]:
    """Instrument name -> its shipped versions, oldest first."""
    versions: dict[str, list[int]] = {}
    for name, version in bundled_instrument_files():
        versions.setdefault(name, []).append(version)
    return {name: tuple(sorted(versions[name])) for name in sorted(versions)}


def load_instrument(name: str, version: int | None = None) -> Instrument:
    """Load a shipped instrument by name; the latest version unless `version` is given.

    Raises InstrumentError listing what exists when the name or version is unknown, and naming
    the file and the item when the file is malformed.
    """
    known = list_instruments()
    if name not in known:
        listed = "; ".join(f"{n} (versi {', '.join(map(str, v))})" for n, v in known.items())
        raise InstrumentError(f"instrumen '{name}' tidak dikenal. Yang tersedia: {listed}")
    chosen = known[name][-1] if version is None else version
    if chosen not in known[name]:
        listed = ", ".join(map(str, known[name]))
        raise InstrumentError(f"instrumen '{name}' versi {chosen} tidak ada. Versi yang tersedia: {listed}")
    return _bundled(name, chosen)


@functools.lru_cache(maxsize=32)
def _bundled(name: str, chosen: int) -> Instrument:
    """A shipped instrument file, parsed and checked once per process (instruments are frozen: safe to share)."""
    instrument = load_instrument_file(bundled_instrument_files()[(name, chosen)])
    if (instrument.name, instrument.version) != (name, chosen):
        raise InstrumentError(
            f"isi berkas (name = '{instrument.name}', version = {instrument.version}) tidak cocok dengan "
            f"nama berkasnya ({name}-v{chosen}.toml)",
            path=instrument.path,
        )
    return instrument


def load_instrument_file(path: str | Path) -> Instrument:
    """Load and validate any instrument file (a copy being edited, or a test's)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InstrumentError(f"berkas tidak bisa dibaca: {error}", path=str(path)) from error
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InstrumentError(f"bukan TOML yang sah: {error}", path=str(path)) from error
    return instrument_from_dict(data, path=str(path), digest=hashlib.sha256(raw).hexdigest()[:12])


def instrument_from_dict(data: Mapping[str, Any], *, path: str = "", digest: str = "") -> Instrument:
    """Build and validate an Instrument from parsed TOML; InstrumentError names file and item."""

    def fail(message: str, item: str = "") -> InstrumentError:
        return InstrumentError(message, path=path, item=item)

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"kunci tidak dikenal: {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not _FILE_NAME.match(f"{name}-v1"):
        raise fail("'name' wajib diisi dengan huruf kecil, angka dan garis bawah (mis. 'welfare')")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("'version' wajib bilangan bulat >= 1")
    respondent = data.get("respondent")
    if respondent not in RESPONDENTS:
        raise fail(f"'respondent' harus salah satu dari {', '.join(RESPONDENTS)}, bukan {respondent!r}")
    title = _text(data, "title", fail)
    if not title:
        raise fail("'title' wajib diisi")

    lists = _choice_lists(data.get("choices", {}), fail)
    indicators = _indicators(data.get("indicators", []), fail)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise fail("tidak ada butir: tulis paling sedikit satu [[items]]")

    items: list[Item] = []
    seen: dict[str, str] = {}
    declared = {indicator.code for indicator in indicators}
    for number, raw in enumerate(raw_items, start=1):
        item = _item(raw, number, lists, declared, items, fail)
        if item.code.lower() in seen:
            raise fail(f"kode ganda (sudah dipakai oleh '{seen[item.code.lower()]}')", item.code)
        seen[item.code.lower()] = item.code
        items.append(item)

    if sum(item.role == "consent" for item in items) > 1:
        raise fail("hanya boleh ada satu butir persetujuan (role = 'consent')")
    fed = {item.indicator for item in items}
    empty = [indicator.code for indicator in indicators if indicator.code not in fed]
    if empty:
        raise fail(f"indikator tanpa butir: {', '.join(empty)}")

    return Instrument(
        name=name,
        version=version,
        title=title,
        title_en=_text(data, "title_en", fail),
        description=_text(data, "description", fail).strip(),
        respondent=str(respondent),
        items=tuple(items),
        indicators=indicators,
        source=_text(data, "source", fail),
        path=path,
        digest=digest,
    )


def _choice_lists(raw: Any, fail: _Fail) -> dict[str, tuple[bool, tuple[Choice, ...]]]:
    if not isinstance(raw, dict):
        raise fail("[choices] harus berupa tabel daftar pilihan")
    lists: dict[str, tuple[bool, tuple[Choice, ...]]] = {}
    for list_name, spec in raw.items():
        where = f"daftar pilihan '{list_name}'"
        if not _CODE.match(list_name):
            raise fail(f"{where}: nama hanya boleh huruf, angka dan garis bawah")
        if not isinstance(spec, dict) or not isinstance(spec.get("options"), list) or not spec["options"]:
            raise fail(f"{where}: tulis options = [{{ value, label, label_en }}, ...]")
        extra = sorted(set(spec) - {"options", "likert"})
        if extra:
            raise fail(f"{where}: kunci tidak dikenal: {', '.join(extra)}")
        choices: list[Choice] = []
        for option in spec["options"]:
            if not isinstance(option, dict) or "value" not in option or not option.get("label"):
                raise fail(f"{where}: setiap pilihan perlu 'value' dan 'label'")
            value = str(option["value"]).strip()
            if not _CHOICE_VALUE.match(value):
                raise fail(f"{where}: nilai pilihan {value!r} hanya boleh huruf, angka, titik dan garis bawah")
            if value in {choice.value for choice in choices}:
                raise fail(f"{where}: nilai pilihan ganda {value!r}")
            choices.append(Choice(value=value, label=str(option["label"]), label_en=str(option.get("label_en", ""))))
        likert = bool(spec.get("likert", False))
        expected = [str(v) for v in range(LIKERT_MIN, LIKERT_MAX + 1)]
        if likert and sorted(choice.value for choice in choices) != expected:
            raise fail(f"{where}: skala Likert harus bernilai {LIKERT_MIN} sampai {LIKERT_MAX}, tanpa celah")
        lists[list_name] = (likert, tuple(choices))
    return lists


def _indicators(raw: Any, fail: _Fail) -> tuple[Indicator, ...]:
    if not isinstance(raw, list):
        raise fail("[[indicators]] harus berupa daftar tabel")
    indicators: list[Indicator] = []
    for spec in raw:
        code = str(spec.get("code", "")) if isinstance(spec, dict) else ""
        if not _CODE.match(code):
            raise fail(f"indikator dengan kode tidak sah: {code!r}")
        extra = sorted(set(spec) - _INDICATOR_KEYS)
        if extra:
            raise fail(f"indikator '{code}': kunci tidak dikenal: {', '.join(extra)}")
        if code in {indicator.code for indicator in indicators}:
            raise fail(f"indikator '{code}' ditulis dua kali")
        power, sphere = str(spec.get("power", "")), str(spec.get("sphere", ""))
        if power and power not in POWERS:
            raise fail(f"indikator '{code}': power harus salah satu dari {', '.join(POWERS)}")
        if sphere and sphere not in SPHERES:
            raise fail(f"indikator '{code}': sphere harus salah satu dari {', '.join(SPHERES)}")
        if bool(power) != bool(sphere):
            raise fail(f"indikator '{code}': power dan sphere ditulis berpasangan")
        try:
            weight = float(spec.get("weight", 1.0))
        except (TypeError, ValueError):
            weight = -1.0
        if not weight > 0:
            raise fail(f"indikator '{code}': weight harus angka > 0")
        indicators.append(
            Indicator(
                code=code,
                label=str(spec.get("label", code)),
                label_en=str(spec.get("label_en", "")),
                weight=weight,
                note=str(spec.get("note", "")),
                power=power,
                sphere=sphere,
            )
        )
    if indicators and any(i.power for i in indicators):
        pairs = [(i.power, i.sphere) for i in indicators if i.power]
        if len(set(pairs)) != len(pairs):
            raise fail("pasangan power x sphere ditulis dua kali")
    return tuple(indicators)


def _item(
    raw: Any,
    number: int,
    lists: dict[str, tuple[bool, tuple[Choice, ...]]],
    declared: set[str],
    earlier: list[Item],
    fail: _Fail,
) -> Item:
    if not isinstance(raw, dict):
        raise fail(f"butir ke-{number} bukan tabel")
    code = str(raw.get("code", ""))
    if not _CODE.match(code):
        raise fail(f"butir ke-{number}: kode {code!r} tidak sah (huruf, angka, garis bawah; diawali huruf)", code)
    extra = sorted(set(raw) - _ITEM_KEYS)
    if extra:
        raise fail(f"kunci tidak dikenal: {', '.join(extra)}", code)
    kind = raw.get("type")
    if kind not in ITEM_TYPES:
        raise fail(f"tipe {kind!r} tidak dikenal (yang dikenal: {', '.join(ITEM_TYPES)})", code)
    label = str(raw.get("label", "")).strip()
    if not label:
        raise fail("label wajib diisi", code)
    role = raw.get("role", "answer")
    if role not in ROLES:
        raise fail(f"role {role!r} tidak dikenal (yang dikenal: {', '.join(ROLES)})", code)
    indicator = str(raw.get("indicator", ""))
    if indicator and indicator not in declared:
        raise fail(f"indikator '{indicator}' tidak ada di [[indicators]]", code)
    if role != "answer" and indicator:
        raise fail("butir identitas atau persetujuan tidak mengisi indikator", code)
    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise fail("required harus true atau false", code)

    list_name = raw.get("choices", "")
    choices: tuple[Choice, ...] = ()
    likert = False
    if kind in SELECT_TYPES:
        if not list_name:
            raise fail(f"tipe {kind} perlu 'choices' (nama daftar pilihan)", code)
        if list_name not in lists:
            known = ", ".join(sorted(lists)) or "belum ada"
            raise fail(f"daftar pilihan '{list_name}' tidak ada di [choices] (yang ada: {known})", code)
        likert, choices = lists[list_name]
        likert = likert and kind == "select_one"
    elif list_name:
        raise fail(f"tipe {kind} tidak memakai 'choices'", code)

    low, high = raw.get("min"), raw.get("max")
    if (low is not None or high is not None) and kind not in NUMBER_TYPES:
        raise fail("min/max hanya untuk tipe integer atau decimal", code)
    for bound in (low, high):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
            raise fail("min/max harus angka", code)
        if kind == "integer" and bound is not None and not float(bound).is_integer():
            raise fail("min/max tipe integer harus bilangan bulat", code)
    if low is not None and high is not None and low > high:
        raise fail(f"min ({low}) lebih besar dari max ({high})", code)

    earlier_codes = {item.code: item for item in earlier}
    max_of = str(raw.get("max_of", ""))
    if max_of and (kind not in NUMBER_TYPES or earlier_codes.get(max_of) is None):
        raise fail(f"max_of harus menunjuk butir angka sebelumnya, bukan {max_of!r}", code)
    if max_of and earlier_codes[max_of].type not in NUMBER_TYPES:
        raise fail(f"max_of menunjuk '{max_of}' yang bukan butir angka", code)

    when = _condition(raw.get("when"), code, earlier_codes, fail)
    if role == "consent" and (kind != "select_one" or CONSENT_YES not in {c.value for c in choices}):
        raise fail(f"butir persetujuan harus select_one dengan pilihan bernilai '{CONSENT_YES}' (Ya)", code)
    return Item(
        code=code,
        type=str(kind),
        label=label,
        label_en=str(raw.get("label_en", "")).strip(),
        hint=str(raw.get("hint", "")).strip(),
        hint_en=str(raw.get("hint_en", "")).strip(),
        required=required,
        role=str(role),
        indicator=indicator,
        choice_list=str(list_name),
        choices=choices,
        likert=likert,
        min=None if low is None else float(low),
        max=None if high is None else float(high),
        max_of=max_of,
        when=when,
    )


def _condition(raw: Any, code: str, earlier: dict[str, Item], fail: _Fail) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"code", "equals", "min"} or "code" not in raw:
        raise fail("when harus { code = ..., equals = [...] } atau { code = ..., min = N }", code)
    target = earlier.get(str(raw["code"]))
    if target is None:
        raise fail(f"when menunjuk '{raw['code']}' yang bukan butir sebelumnya", code)
    equals = raw.get("equals")
    minimum = raw.get("min")
    if (equals is None) == (minimum is None):
        raise fail("when perlu tepat satu dari equals atau min", code)
    if equals is not None:
        values = tuple(str(v) for v in (equals if isinstance(equals, list) else [equals]))
        if target.choices and set(values) - set(target.choice_values):
            raise fail(f"when: nilai {', '.join(values)} bukan pilihan dari '{target.code}'", code)
        return Condition(code=target.code, equals=values)
    if target.type not in NUMBER_TYPES or isinstance(minimum, bool) or not isinstance(minimum, int | float):
        raise fail(f"when: min hanya untuk butir angka dan harus angka ('{target.code}')", code)
    return Condition(code=target.code, min=float(minimum))


def _text(data: Mapping[str, Any], key: str, fail: _Fail) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise fail(f"'{key}' harus teks")
    return value


def _is_int(text: str) -> bool:
    return text.isascii() and text.lstrip("-").isdigit()


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)
