"""The SVG charts: valid XML, every text escaped, no script and no external reference, accessible."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from berdaya.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & "kutip"'


def every_chart(label: str = "Label") -> dict[str, str]:
    return {
        "bar": charts.bar_chart([(label, 3), ("Dua", 5)], title=label, desc=label),
        "hbar": charts.hbar_chart([(label, 42.0, "42%"), ("Kosong", None, "—")], title=label, desc=label),
        "stacked": charts.stacked_bar_chart([(label, [1, 2, 0])], [label, "B", "C"], title=label, desc=label),
        "line": charts.line_chart(
            [(label, 80.0), ("Feb", None), ("Mar", 55.5)], title=label, desc=label, threshold=60, threshold_label=label
        ),
    }


@pytest.mark.parametrize("kind", ["bar", "hbar", "stacked", "line"])
def test_a_chart_is_valid_svg_with_title_desc_and_phone_sizing(kind):
    root = ET.fromstring(every_chart()[kind])
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 360 ")
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}


@pytest.mark.parametrize("kind", ["bar", "hbar", "stacked", "line"])
def test_text_is_escaped_and_nothing_runs_or_loads(kind):
    svg = every_chart(NASTY)[kind]
    root = ET.fromstring(svg)  # parses: the text was escaped
    assert "<script" not in svg
    assert not list(root.iter(f"{SVG}script"))
    for element in root.iter():
        for key, value in element.attrib.items():
            assert "href" not in key.lower()
            assert not key.lower().startswith("on")
            assert "url(" not in value and "http" not in value.replace("http://www.w3.org/2000/svg", "")
    texts = "".join(root.itertext())
    assert "<script>" in texts  # shown as text, not markup


@pytest.mark.parametrize("kind", ["bar", "hbar", "stacked", "line"])
def test_an_empty_chart_says_so(kind):
    empty = {
        "bar": charts.bar_chart([], title="t", empty_label="Belum ada data."),
        "hbar": charts.hbar_chart([], title="t", empty_label="Belum ada data."),
        "stacked": charts.stacked_bar_chart([], [], title="t", empty_label="Belum ada data."),
        "line": charts.line_chart([("Jan", None)], title="t", empty_label="Belum ada data."),
    }[kind]
    assert "Belum ada data." in "".join(ET.fromstring(empty).itertext())


def test_the_numbers_are_written_as_text_labels():
    texts = "".join(ET.fromstring(charts.line_chart([("Jan", 80.0), ("Feb", 62.5)], title="t")).itertext())
    assert "80" in texts and "62,5" in texts
    stacked = "".join(
        ET.fromstring(charts.stacked_bar_chart([("Semua", [2, 3])], ["Aktif", "Diusulkan"], title="t")).itertext()
    )
    assert "Aktif (2)" in stacked and "Diusulkan (3)" in stacked
