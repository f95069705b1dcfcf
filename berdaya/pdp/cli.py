"""`berdaya subject …`: the data-subject rights from the command line (an operator's run, national scope).

Thin like `berdaya/cli.py`: parse, call the service, print. Django is set up only inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from berdaya.cli_support import actor_get as _actor
from berdaya.cli_support import django_setup as _django
from berdaya.cli_support import fail as _fail

subject_app = typer.Typer(help="Hak subjek data (UU PDP): ekspor, anonimisasi.", no_args_is_help=True)


def _person(nik: str):
    from berdaya.engine.masking import mask_id
    from berdaya.pdp.record import normalise_nik
    from berdaya.registry.models import Person

    digits = normalise_nik(nik)
    if len(digits) != 16:
        _fail(f"--nik harus 16 angka; {nik!r} berisi {len(digits)} angka")
    person = Person.objects.select_related("family__region").filter(nik=normalise_nik(nik)).first()
    if person is None:
        _fail(f"tidak ada orang dengan NIK {mask_id(normalise_nik(nik))}")
    return person


@subject_app.command("export")
def subject_export_command(
    nik: Annotated[str, typer.Option("--nik", help="NIK orang yang meminta datanya.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas keluaran: .json atau .pdf.")],
    user: Annotated[str | None, typer.Option("--user", help="Petugas yang menyerahkan (untuk log audit).")] = None,
) -> None:
    """Semua data yang disimpan tentang satu NIK, tanpa penyamaran (untuk diserahkan kepada orangnya)."""
    kind = out.suffix.lower().lstrip(".")
    if kind not in ("json", "pdf"):
        _fail(f"--out harus berakhiran .json atau .pdf, bukan {out.name!r}")
    _django()
    from berdaya.engine.masking import mask_id
    from berdaya.pdp.pdf import subject_pdf
    from berdaya.pdp.services import subject_export

    person = _person(nik)
    record = subject_export(actor=_actor(user), person=person, kind=kind)
    if kind == "json":
        out.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        out.write_bytes(subject_pdf(record))
    sections = sum(1 for v in record.values() if isinstance(v, list) and v)
    typer.echo(f"Data subjek NIK {mask_id(person.nik)}: {sections} bagian berisi → {out}")


@subject_app.command("anonymise")
def subject_anonymise_command(
    nik: Annotated[str, typer.Option("--nik", help="NIK orang yang keluar dari program.")],
    reason: Annotated[str, typer.Option("--reason", help="Alasan (dicatat di log audit).")],
    whole_family: Annotated[
        bool, typer.Option("--whole-family", help="Anonimkan seluruh anggota kartu keluarganya.")
    ] = False,
    user: Annotated[str | None, typer.Option("--user", help="Petugas yang melakukan (untuk log audit).")] = None,
) -> None:
    """Ganti NIK, nama, tanggal lahir (dan No KK/alamat) dengan pseudonim; buku dan statistik tetap."""
    _django()
    from berdaya.engine.masking import mask_id
    from berdaya.pdp.services import SubjectError, subject_anonymise

    person = _person(nik)
    masked = mask_id(person.nik)
    try:
        result = subject_anonymise(actor=_actor(user), person=person, reason=reason, whole_family=whole_family)
    except SubjectError as error:
        _fail(str(error))
        return
    typer.echo(
        f"NIK {masked}: {len(result.person_ids)} orang dianonimkan"
        + (", kartu keluarga juga" if result.family_anonymised else "")
        + (f", {result.users_closed} akun ditutup" if result.users_closed else "")
        + f"; teks lain diganti: {sum(result.scrub.replaced.values())} baris."
    )
    for office in result.live_offices:
        typer.secho(f"  masih pengurus: {office} (pilih pengganti)", err=True, fg="yellow")
    for where, rows in result.scrub.residual.items():
        typer.secho(f"  masih disebut di {where}: {rows} baris (tidak boleh diubah)", err=True, fg="yellow")
