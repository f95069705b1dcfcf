"""A pendamping on a 360 px phone: my groups, a meeting recorded with one tap per member, and a meeting
recorded while the signal is gone that reaches the server once the signal returns.

Same set-up as test_browser.py (Debian Chromium through Playwright against pytest-django's live server);
screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.urls import reverse

from berdaya.kube.models import KubeState
from berdaya.mentoring.models import Attendance, Meeting
from tests.factories import assign, make_facilitator, make_kube
from tests.web.conftest import overflow, shot, sign_in

pytestmark = pytest.mark.browser

@pytest.fixture
def kube(make_user):
    """An active KUBE of five families whose pendamping signs in as `pendamping`."""
    facilitator = make_facilitator(user=make_user("pendamping", "facilitator", "61.71.04"))
    kube = make_kube(name="KUBE Jagung Manis 8", size=5, state=KubeState.ACTIVE)
    assign(kube, facilitator)
    return kube


def first_member(kube) -> int:
    return kube.memberships.filter(live=True).order_by("id").values_list("family_id", flat=True).first()


def tap_absent(page, family_id: int) -> None:
    page.locator(f'fieldset[data-family="{family_id}"] label[data-status="absent"]').click()


def wait_for_meetings(page, count: int, seconds: float = 25) -> int:
    """Poll the database while the page's script works; the browser keeps running between polls."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stored = Meeting.objects.count()
        if stored >= count:
            return stored
        page.wait_for_timeout(250)
    return Meeting.objects.count()


def test_a_pendamping_records_a_meeting_with_one_tap_per_absent_member(page, live_server, kube):
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("mentoring:my_groups"))
    shot(page, "field-01-kelompok-saya")
    card = page.locator(f'[data-kube="{kube.pk}"]')
    assert "KUBE Jagung Manis 8" in card.inner_text()
    assert overflow(page) <= 1

    card.get_by_role("link", name="Catat pertemuan").click()
    page.wait_for_url(re.compile(r".*/pertemuan/baru/$"))
    assert page.locator("fieldset.member").count() == 5
    assert page.locator('[data-tally-count="present"]').inner_text() == "5"
    tap_absent(page, first_member(kube))
    assert page.locator('[data-tally-count="absent"]').inner_text() == "1"
    page.fill("#id_agenda", "Rencana tanam jagung")
    shot(page, "field-02-catat-pertemuan")
    assert overflow(page) <= 1
    # The tap target is big enough for a thumb.
    assert page.locator('fieldset.member label[data-status="absent"]').first.bounding_box()["height"] >= 44

    page.locator("#save-meeting").click()
    page.wait_for_url(live_server.url + reverse("kube:detail", args=[kube.pk]))
    shot(page, "field-03-kube")

    assert "hadir 4 dari 5" in page.locator("#meetings").inner_text()
    assert overflow(page) <= 1  # the KUBE page (aid card, member table) fits the phone too
    meeting = Meeting.objects.get()
    assert meeting.agenda == "Rencana tanam jagung"
    assert Attendance.objects.get(meeting=meeting, family_id=first_member(kube)).status == "absent"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('berdaya:draft:')).length") == 0


def test_a_meeting_recorded_without_signal_is_sent_once_when_the_signal_returns(page, live_server, kube):
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("mentoring:meeting_new", args=[kube.pk]))
    page.wait_for_function("document.querySelector('input[name=client_uuid]').value.length === 36")

    page.context.set_offline(True)
    tap_absent(page, first_member(kube))
    page.locator("#save-meeting").click()

    notice = page.locator("[data-offline-notice]")
    notice.get_by_text("Tersimpan di ponsel").wait_for()
    shot(page, "field-04-tersimpan-di-ponsel")
    assert Meeting.objects.count() == 0
    assert page.evaluate("JSON.parse(localStorage.getItem('berdaya:outbox')).length") == 1

    page.context.set_offline(False)

    assert wait_for_meetings(page, 1) == 1
    notice.get_by_text("sudah terkirim").wait_for()
    shot(page, "field-05-terkirim")
    page.wait_for_timeout(1000)  # a second send would have come by now
    assert Meeting.objects.count() == 1
    assert Attendance.objects.filter(status="absent").count() == 1
    assert page.evaluate("JSON.parse(localStorage.getItem('berdaya:outbox')).length") == 0


def test_a_half_filled_meeting_form_comes_back_after_leaving_the_page(page, live_server, kube):
    sign_in(page, live_server, "pendamping")
    url = live_server.url + reverse("mentoring:meeting_new", args=[kube.pk])
    page.goto(url)
    page.fill("#id_agenda", "Arisan dan simpan pinjam")
    tap_absent(page, first_member(kube))
    code = page.input_value("input[name=client_uuid]")

    page.goto(live_server.url + reverse("mentoring:my_groups"))
    page.goto(url)

    assert page.input_value("#id_agenda") == "Arisan dan simpan pinjam"
    assert page.locator(f"#id_hadir_{first_member(kube)}_2").is_checked()
    # The same code: the restored form, sent again, is still one meeting.
    assert page.input_value("input[name=client_uuid]") == code
    assert "dipulihkan" in page.locator("[data-offline-notice]").inner_text()

    page.get_by_role("button", name="Kosongkan formulir").click()
    assert page.input_value("#id_agenda") == ""
    assert page.input_value("input[name=client_uuid]") != code


def test_a_visit_takes_the_phone_s_location_with_one_button(page, live_server, kube):
    from berdaya.mentoring.models import Visit

    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": -0.01234, "longitude": 109.33456, "accuracy": 12})
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("mentoring:visit_new", args=[kube.pk]))

    page.get_by_text("Pemeriksaan pembukuan").click()
    page.get_by_text("Komunikator").click()
    page.get_by_role("button", name="Ambil lokasi").click()
    page.locator("#geo-status").get_by_text("-0.01234, 109.33456").wait_for()
    shot(page, "field-06-catat-kunjungan")
    assert overflow(page) <= 1
    page.locator("#save-visit").click()
    page.wait_for_url(live_server.url + reverse("kube:detail", args=[kube.pk]))

    visit = Visit.objects.get()
    assert (visit.purpose, visit.role_served) == ("bookkeeping", "komunikator")
    assert (round(visit.lat, 5), round(visit.lon, 5)) == (-0.01234, 109.33456)
    assert "Pemeriksaan pembukuan" in page.locator("#visits").inner_text()


def small_png(path: Path, side: int = 64) -> Path:
    """A real PNG (a green square) the browser can decode, written without an imaging library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x0b\x6e\x4f" * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
    return path


def test_a_visit_with_a_photo_queued_without_signal_arrives_with_its_photo(page, live_server, kube, tmp_path, settings):
    from berdaya.mentoring.models import Visit

    settings.MEDIA_ROOT = tmp_path / "media"
    sign_in(page, live_server, "pendamping")
    page.goto(live_server.url + reverse("mentoring:visit_new", args=[kube.pk]))
    page.get_by_text("Pemantauan").click()
    page.get_by_text("Komunikator").click()
    page.set_input_files("#id_photo", str(small_png(tmp_path / "kebun.png")))

    page.context.set_offline(True)
    page.locator("#save-visit").click()
    page.locator("[data-offline-notice]").get_by_text("Tersimpan di ponsel").wait_for()
    assert Visit.objects.count() == 0
    page.context.set_offline(False)

    page.locator("[data-offline-notice]").get_by_text("sudah terkirim").wait_for()
    visit = Visit.objects.get()
    assert visit.purpose == "monitoring"
    assert visit.photo.read().startswith(b"\x89PNG")
