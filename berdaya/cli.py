"""The `berdaya` command. Thin: parses arguments, then calls the engine or a service.

Commands that need the database set up Django lazily, so `berdaya screen` runs without one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from berdaya.cli_support import actor_get as _actor
from berdaya.cli_support import django_setup as _django
from berdaya.cli_support import fail as _fail

app = typer.Typer(
    help="Berdaya: program KUBE dari DTKS sampai evaluasi.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
regions_app = typer.Typer(help="Wilayah Kemendagri.", no_args_is_help=True)
import_app = typer.Typer(help="Impor data.", no_args_is_help=True)
export_app = typer.Typer(help="Ekspor data.", no_args_is_help=True)
app.add_typer(regions_app, name="regions")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
analyze_app = typer.Typer(help="Analisis evaluasi tanpa basis data.", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")
report_app = typer.Typer(help="Laporan dokumen (PDF, XLSX).", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _parse_date(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--as-of harus YYYY-MM-DD, bukan {text!r}")
        raise  # unreachable; keeps type checkers content


@contextlib.contextmanager
def _progress_bar(label: str, shown: bool | None):
    """A rich progress bar on stderr fed by a service's `progress(done, total, message)` callback.

    Shown with --progress, or when stderr is a terminal; otherwise None, so the output is unchanged.
    """
    if not (shown or (shown is None and sys.stderr.isatty())):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[message]}"))
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task_id = bar.add_task(label, total=None, message="")

        def progress(done: int, total: int, message: str = "") -> None:
            bar.update(task_id, completed=done, total=total or None, message=message)

        yield progress
        final = bar.tasks[0].total
        if final:
            bar.update(task_id, completed=final, message="selesai")


@app.command()
def screen(
    input: Annotated[
        Path, typer.Argument(help="Berkas DTKS: CSV, XLSX atau Parquet (satu baris per individu).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Keluaran per keluarga (.csv atau .parquet).")],
    rules: Annotated[
        str, typer.Option("--rules", help="Nama perangkat aturan atau path TOML.")
    ] = "permensos-2-2019",
    region: Annotated[str | None, typer.Option("--region", help="Kode wilayah program (awalan).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Tanggal acuan usia, YYYY-MM-DD.")] = None,
    rejected: Annotated[Path | None, typer.Option("--rejected", help="Laporan baris ditolak.")] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Berkas pemetaan kolom (TOML/CSV).")
    ] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Pengodean CSV.")] = "utf-8",
    regions_file: Annotated[
        Path | None, typer.Option("--regions", help="Daftar wilayah `kode,nama`.")
    ] = None,
    memory_limit: Annotated[str, typer.Option("--memory-limit", help="Batas memori DuckDB.")] = "1000MB",
) -> None:
    """Screen a DTKS file without the database: one decision per family, and a rejected-rows report."""
    from rich.console import Console

    from berdaya.engine import (
        InputError,
        RegionCodeError,
        RuleSetError,
        ScreeningOptions,
        load_region_index,
        load_ruleset,
    )
    from berdaya.engine import screen as engine_screen
    from berdaya.engine.columns import MappingError, load_mapping

    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        ruleset = load_ruleset(rules)
        regions = load_region_index(regions_file)
        options = ScreeningOptions(
            ruleset=ruleset,
            regions=regions,
            as_of=_parse_date(as_of),
            region_prefix=region,
            mapping=load_mapping(mapping) if mapping else None,
            encoding=encoding,
            memory_limit=memory_limit,
        )
        if region and region not in regions:
            _fail(f"kode wilayah --region {region!r} tidak dikenal")
        with console.status(f"Menyaring {input.name} …", spinner="dots") as status:

            def progress(stage: str, rows: int) -> None:
                elapsed = time.perf_counter() - started
                status.update(f"Menyaring {input.name}: {stage} · {rows:,} baris · {elapsed:.0f} dtk")

            options.progress = progress
            result = engine_screen(input, options)
            progress("menulis keluaran", result.counts["rows"])
            rejected_path = rejected or out.with_name(out.stem + ".rejected" + (out.suffix or ".csv"))
            result.write(out, rejected_path)
    except (InputError, RuleSetError, MappingError, RegionCodeError) as error:
        _fail(str(error))
        return
    counts = result.counts
    result.close()
    seconds = time.perf_counter() - started
    console.print(
        f"[bold]{counts['families']:,}[/bold] keluarga dari {counts['rows']:,} baris "
        f"({ruleset.name} v{ruleset.version}, acuan {options.as_of.isoformat()}) dalam {seconds:.1f} dtk"
    )
    console.print(
        f"  layak {counts['ELIGIBLE']:,} · tidak layak {counts['INELIGIBLE']:,} · "
        f"perlu verifikasi {counts['NEEDS_VERIFICATION']:,} (konflik {counts['conflicts']:,})"
    )
    console.print(f"  baris ditolak {counts['rejected_rows']:,} → {rejected_path}")
    console.print(f"  keluaran → {out}")
    typer.echo(json.dumps({**counts, "seconds": round(seconds, 3)}))


@app.command("form-groups")
def form_groups_command(
    input: Annotated[Path, typer.Argument(help="Keluaran `berdaya screen` atau CSV/Parquet keluarga.")],
    out: Annotated[Path, typer.Option("--out", help="Folder keluaran.")],
    rules: Annotated[str, typer.Option("--rules", help="Perangkat aturan (ukuran kelompok).")] = "permensos-2-2019",
    target: Annotated[int | None, typer.Option("--target", help="Ukuran sasaran kelompok.")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Proses paralel.")] = 1,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Detik per strata untuk MIP.")] = 10.0,
    bounds: Annotated[
        int, typer.Option("--bounds", help="Batas bawah LP untuk strata sampai N keluarga (celah optimalitas).")
    ] = 30,
    thorough: Annotated[
        bool, typer.Option("--thorough", help="Cari lebih lama (sekitar 6×) untuk jarak sekitar 2 % lebih pendek.")
    ] = False,
) -> None:
    """Propose KUBEs from eligible families: groups.csv, members.csv, unplaced.csv, summary.json."""
    import resource

    from berdaya.engine import RuleSetError, load_ruleset
    from berdaya.engine.grouping.formation import GroupingOptions, form_groups
    from berdaya.engine.grouping.io import GroupingInputError, read_families, write_result

    try:
        ruleset = load_ruleset(rules)
        families, skipped = read_families(input)
    except (RuleSetError, GroupingInputError) as error:
        _fail(str(error))
        return
    options = GroupingOptions(
        size_min=ruleset.group_size_min, size_max=ruleset.group_size_max, target=target or ruleset.group_target,
        seed=seed, time_limit=time_limit, effort="thorough" if thorough else "fast",
        bound_max=max(bounds, 0),
    )
    from rich.console import Console

    console = Console(stderr=True)
    console.print(f"Membentuk kelompok dari {len(families):,} keluarga layak ({skipped:,} lain dilewati) …")
    with console.status("Menyusun strata …") as status:

        def progress(done: int, total: int) -> None:
            status.update(f"Strata selesai: {done:,} dari {total:,}")

        result = form_groups(families, options, workers=workers, progress=progress)
    result.summary["rules"] = f"{ruleset.name}@{ruleset.version}"
    result.summary["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    write_result(result, out)
    typer.echo(json.dumps(result.summary, ensure_ascii=False))


@app.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@regions_app.command("load")
def regions_load(
    file: Annotated[Path | None, typer.Argument(help="CSV `kode,nama` (kosong: daftar bawaan).")] = None,
) -> None:
    """Load or refresh the Kemendagri region tree."""
    _django()
    from berdaya.core.services import regions_load as service
    from berdaya.engine import RegionCodeError

    try:
        counts = service(path=file)
    except (RegionCodeError, OSError) as error:
        _fail(str(error))
        return
    typer.echo(f"Wilayah: {counts['created']} baru, {counts['updated']} diperbarui, total {counts['total']}.")


def _echo_problems(problems: list[dict], shown: int = 20) -> None:
    """The first row-level problems on stderr, with where to find the rest."""
    for problem in problems[:shown]:
        typer.echo(
            f"  baris {problem['line']}, kolom {problem['column']!r}, nilai {problem['value']!r}: "
            f"{problem['reason']}",
            err=True,
        )
    if len(problems) > shown:
        typer.echo(f"  … dan {len(problems) - shown} masalah lain (lihat --report)", err=True)


@import_app.command("dtks")
def import_dtks(
    file: Annotated[Path, typer.Argument(help="Berkas DTKS: CSV, XLSX atau Parquet.")],
    mapping: Annotated[Path | None, typer.Option("--mapping")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Periksa saja; tidak menyimpan.")] = False,
    user: Annotated[
        str | None, typer.Option("--user", help="Pengguna yang mengimpor (wilayahnya dibatasi).")
    ] = None,
    encoding: Annotated[str, typer.Option("--encoding")] = "utf-8",
    report: Annotated[
        Path | None, typer.Option("--report", help="Tulis laporan masalah (.csv atau .xlsx).")
    ] = None,
    show_progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Bilah kemajuan (bawaan: bila terminal).")
    ] = None,
) -> None:
    """Import DTKS individuals into the registry: the whole file or nothing."""
    _django()
    from berdaya.registry.reports import write_problems
    from berdaya.registry.services import dtks_import

    actor = _actor(user)
    with _progress_bar(f"Impor {file.name}", show_progress) as progress:
        batch = dtks_import(
            path=file, actor=actor, mapping_path=mapping, dry_run=dry_run, encoding=encoding, progress=progress
        )
    if report:
        write_problems(batch.problems, report)
    if batch.error:
        _fail(f"impor ditolak: {batch.error}")
    _echo_problems(batch.problems)
    typer.echo(json.dumps({"batch": batch.pk, "status": batch.status, **batch.counts}, default=str))
    if batch.status == "refused":
        _fail(
            f"impor ditolak: {len(batch.problems)} masalah di {batch.counts.get('problem_rows')} baris; "
            "tidak ada yang disimpan.",
            code=1,
        )


@import_app.command("kube")
def import_kube(
    file: Annotated[Path, typer.Argument(help="Berkas KUBE: CSV atau XLSX, satu baris per keluarga anggota.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Periksa saja; tidak menyimpan.")] = False,
    user: Annotated[
        str | None, typer.Option("--user", help="Pengguna yang mengimpor (wilayahnya dibatasi).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Tulis laporan masalah (.csv atau .xlsx).")
    ] = None,
) -> None:
    """Import existing KUBEs with their members, officers, decree and aid: the whole file or nothing."""
    _django()
    from berdaya.kube.services.importing import kube_import
    from berdaya.registry.reports import write_problems

    actor = _actor(user)
    result = kube_import(actor=actor, path=file, dry_run=dry_run)
    if report:
        write_problems(result.problems, report)
    if result.error:
        _fail(f"impor ditolak: {result.error}")
    _echo_problems(result.problems)
    typer.echo(json.dumps({"status": result.status, "kube_ids": result.kube_ids, **result.counts}, default=str))
    if result.refused:
        _fail(
            f"impor ditolak: {len(result.problems)} masalah di {result.counts.get('problem_rows')} baris; "
            "tidak ada KUBE yang disimpan.",
            code=1,
        )


def _kube(ref: str):
    """A KUBE by numeric id or exact name; exit 1 when none or several match."""
    from berdaya.kube.models import Kube

    ref = ref.strip()
    kube = Kube.objects.filter(pk=int(ref)).first() if ref.isascii() and ref.isdigit() and len(ref) < 10 else None
    if kube is not None:
        return kube
    matches = list(Kube.objects.filter(name=ref).select_related("region").order_by("pk"))
    if not matches:
        _fail(f"KUBE {ref!r} tidak ditemukan (berikan id atau nama persisnya)", code=1)
    if len(matches) > 1:
        listed = "; ".join(f"id {k.pk} di {k.region.name} ({k.region_id})" for k in matches)
        _fail(f"ada {len(matches)} KUBE bernama {ref!r}: {listed}. Pakai id-nya.", code=1)
    return matches[0]


@export_app.command("beancount")
def export_beancount(
    kube: Annotated[str, typer.Option("--kube", help="Id atau nama persis KUBE.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas Beancount yang ditulis (.beancount).")],
) -> None:
    """Write one KUBE's books as a Beancount v3 file (check it with `bean-check`)."""
    _django()
    from berdaya.ledger.beancount import beancount_export

    found = _kube(kube)
    try:
        counts = beancount_export(actor=None, kube=found, path=out)
    except OSError as error:
        _fail(f"tidak bisa menulis {out}: {error}")
        return
    typer.echo(
        f"Buku {found.name} (id {found.pk}): {counts['entries']} jurnal, {counts['lines']} baris, "
        f"{counts['accounts']} akun -> {out}"
    )


@export_app.command("xlsform")
def export_xlsform(
    instrument: Annotated[str, typer.Option("--instrument", help="welfare, empowerment atau group_assessment.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas XLSForm yang ditulis (.xlsx).")],
    version: Annotated[int | None, typer.Option("--version", help="Versi instrumen (bawaan: terbaru).")] = None,
) -> None:
    """Write a survey instrument as an XLSForm for ODK Collect / KoboToolbox, checked with pyxform."""
    from berdaya.engine.evaluation.instruments import InstrumentError, load_instrument
    from berdaya.engine.evaluation.xlsform import XlsformError, xlsform_check, xlsform_write

    try:
        found = load_instrument(instrument, version)
    except InstrumentError as error:
        _fail(str(error))
        return
    try:
        xlsform_write(found, out)
    except OSError as error:
        _fail(f"tidak bisa menulis {out}: {error}")
        return
    try:
        check = xlsform_check(out)
    except XlsformError as error:
        _fail(str(error), code=1)
        return
    for warning in check.warnings:
        typer.secho(f"Peringatan pyxform: {warning}", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{found.title} (form_id {found.form_id}, versi {found.version}): {len(found.items)} butir -> {out}")


@export_app.command("survey")
def export_survey(
    round_id: Annotated[int, typer.Option("--round", help="Id putaran survei.")],
    instrument: Annotated[str, typer.Option("--instrument", help="welfare, empowerment atau group_assessment.")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx, sav atau dta.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas data; buku kode ditulis di sebelahnya.")],
    pseudonymise: Annotated[
        bool, typer.Option("--pseudonymise/--no-pseudonymise", help="Samarkan keluarga (bawaan: ya).")
    ] = True,
) -> None:
    """Write one instrument of a survey round as research data with its codebook (no NIK, No KK, names)."""
    _django()
    from berdaya.evaluation.exports import FORMATS, export_round
    from berdaya.evaluation.models import InstrumentName, Round

    if fmt not in FORMATS:
        _fail(f"--format harus salah satu dari {', '.join(FORMATS)}, bukan {fmt!r}")
    if instrument not in InstrumentName.values:
        _fail(f"instrumen {instrument!r} tidak dikenal; pilih {', '.join(InstrumentName.values)}")
    found = Round.objects.filter(pk=round_id).first()
    if found is None:
        _fail(f"putaran {round_id} tidak ditemukan", code=1)
        return
    try:
        result = export_round(
            actor=None, round=found, instrument=instrument, fmt=fmt, pseudonymise=pseudonymise, out=out
        )
    except OSError as error:
        _fail(f"tidak bisa menulis {out}: {error}")
        return
    shown = ", ".join(str(path) for path in result.paths)
    typer.echo(f"{found.name} (id {found.pk}), {instrument}: {result.rows} baris -> {shown}")


@app.command("api-token")
def api_token(
    user: Annotated[str, typer.Option("--user", help="Nama pengguna pemilik token.")],
) -> None:
    """Issue an API bearer token for a user; the token is the last line printed, and is shown only once."""
    _django()
    from berdaya.api.services import ApiTokenError, api_token_create
    from berdaya.core.models import User

    owner = User.objects.filter(username=user).first()
    if owner is None:
        _fail(f"pengguna {user!r} tidak ada")
        return
    try:
        token = api_token_create(user=owner, actor=None)
    except ApiTokenError as error:
        _fail(str(error))
        return
    typer.echo(
        f"Token API untuk {owner.username} ({owner.get_role_display()}). Simpan sekarang; tidak ditampilkan lagi:"
    )
    typer.echo(token)


@app.command("screen-registry")
def screen_registry(
    rules: Annotated[str | None, typer.Option("--rules")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    show_progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Bilah kemajuan (bawaan: bila terminal).")
    ] = None,
) -> None:
    """Screen the families in the database and store decisions with reasons."""
    _django()
    from berdaya.registry.services import eligibility_screen
    from berdaya.registry.services.screening import ScreeningError

    try:
        with _progress_bar("Penyaringan registri", show_progress) as progress:
            run = eligibility_screen(
                actor=None, ruleset_name=rules, as_of=_parse_date(as_of), region_prefix=region, progress=progress
            )
    except ScreeningError as error:
        _fail(str(error))
        return
    typer.echo(json.dumps({"run": run.pk, **run.counts}))


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Cetak JSON.")] = False) -> None:
    """Counts of the main records."""
    _django()
    from berdaya.core.selectors import stats_counts

    counts = stats_counts()
    if as_json:
        typer.echo(json.dumps(counts, indent=2, sort_keys=True))
    else:
        for key, value in counts.items():
            typer.echo(f"{key}: {value}")


@app.command()
def worker(
    batch: Annotated[bool, typer.Option("--batch", help="Kerjakan antrean yang ada, lalu berhenti.")] = False,
    max_tasks: Annotated[int | None, typer.Option("--max-tasks", help="Berhenti setelah N tugas.")] = None,
    interval: Annotated[float, typer.Option("--interval", help="Detik menunggu bila antrean kosong.")] = 1.0,
    queue: Annotated[str, typer.Option("--queue", help="Antrean yang dikerjakan (koma; * semua).")] = "default",
) -> None:
    """Run the background worker: imports, screening and formation queued from the pages (Ctrl+C stops)."""
    _django()
    from django.core.management import call_command

    from berdaya.core.worker import database_queue

    if not database_queue():
        _fail("BERDAYA_TASKS_BACKEND bukan antrean basis data; jalankan pekerja backend itu "
              "(lihat docs/architecture.md)")
    options = {"batch": batch, "interval": interval, "queue_name": queue, "reload": False, "startup_delay": not batch}
    if max_tasks:
        options["max_tasks"] = max_tasks
    call_command("db_worker", **options)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the web app (Django's development server; see README for gunicorn in production)."""
    _django()
    from django.core.management import call_command

    from berdaya.core.worker import worker_thread_start

    worker_thread_start()
    call_command("runserver", f"{host}:{port}", use_reloader=False)


@app.command()
def demo(
    seed: Annotated[int, typer.Option("--seed")] = 2026,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Bangun saja; jangan jalankan server.")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="small: Pontianak Utara dan Pontianak Kota, 2.000 keluarga; city: seluruh Kota Pontianak, "
            "100.000 keluarga, 2.000 KUBE, sejuta baris jurnal (sekitar 15 menit).",
        ),
    ] = "small",
) -> None:
    """Build the demo world (Kota Pontianak) on the configured database, print logins, then serve."""
    if scale not in ("small", "city"):
        _fail(f"--scale harus small atau city, bukan {scale!r}.")
        return
    _django()
    from django.core.management import call_command

    from berdaya.demo.build import DemoError, demo_build

    call_command("migrate", interactive=False, verbosity=0)
    try:
        if scale == "city":
            from berdaya.demo.scale import demo_city_build

            summary = demo_city_build(seed=seed, log=lambda m: typer.echo(m))
        else:
            summary = demo_build(seed=seed, log=lambda m: typer.echo(m))
    except DemoError as error:
        _fail(str(error))
        return
    typer.echo("")
    typer.echo("Akun demo (kata sandi sama untuk semua: " + summary["password"] + "):")
    for username, description in summary["users"]:
        typer.echo(f"  {username:<12} {description}")
    if not no_serve:
        typer.echo(f"\nBuka http://{host}:{port}/ — tekan Ctrl+C untuk berhenti.")
        from berdaya.core.worker import worker_thread_start

        worker_thread_start()
        call_command("runserver", f"{host}:{port}", use_reloader=False)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Any Django management command (`berdaya manage createsuperuser`)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["berdaya manage", *ctx.args])


@report_app.command("evaluation")
def report_evaluation(
    region: Annotated[str, typer.Option("--region", help="Kode wilayah, mis. 61.71.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas keluaran: .pdf atau .xlsx.")],
    start: Annotated[str | None, typer.Option("--from", help="Awal periode YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Akhir periode YYYY-MM-DD (bawaan: hari ini).")] = None,
    show_progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Bilah kemajuan (bawaan: bila terminal).")
    ] = None,
) -> None:
    """Laporan Evaluasi Program KUBE satu wilayah (tampilan nasional, tanpa pengguna)."""
    kind = out.suffix.lower().lstrip(".")
    if kind not in ("pdf", "xlsx"):
        _fail(f"--out harus berakhiran .pdf atau .xlsx, bukan {out.name!r}")
    dates = []
    for flag, text in (("--from", start), ("--to", end)):
        try:
            dates.append(dt.date.fromisoformat(text) if text else None)
        except ValueError:
            _fail(f"{flag} harus YYYY-MM-DD, bukan {text!r}")
    _django()
    from django.http import Http404

    from berdaya.reports import evaluation_report as report

    began = time.perf_counter()
    try:
        with _progress_bar(f"Laporan evaluasi {region}", show_progress) as progress:
            built = report.evaluation_report_build(
                user=None, code=region, start=dates[0], end=dates[1], kinds=[kind], progress=progress
            )
    except Http404:
        _fail(f"wilayah {region!r} tidak ditemukan; pakai kode Kemendagri seperti 61.71")
    data, body, pages = built.data, built.files[kind], built.pages
    report.evaluation_report_audit(actor=None, code=region, kind=kind, data=data)
    out.write_bytes(body)
    size = f"{pages} halaman, {len(body):,} bita" if pages else f"{len(body):,} bita"
    typer.echo(
        f"Laporan evaluasi {data.summary.name} ({region}): {len(data.kubes)} KUBE, {size}, "
        f"{time.perf_counter() - began:.1f} dtk → {out}"
    )


@report_app.command("kube")
def report_kube(
    kube_ref: Annotated[str, typer.Option("--kube", help="Id atau nama persis KUBE.")],
    out: Annotated[Path, typer.Option("--out", help="Berkas keluaran .pdf.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Keadaan per YYYY-MM-DD (bawaan: hari ini).")] = None,
) -> None:
    """Profil satu KUBE sebagai PDF (anggota dengan NIK disamarkan; dicatat di log audit)."""
    if out.suffix.lower() != ".pdf":
        _fail(f"--out harus berakhiran .pdf, bukan {out.name!r}")
    day = _parse_date(as_of)
    _django()
    from berdaya.reports import kube_report

    began = time.perf_counter()
    kube = _kube(kube_ref)
    data = kube_report.kube_report_data(user=None, kube_id=kube.pk, as_of=day)
    body, pages = kube_report.kube_report_render(data)
    kube_report.kube_report_audit(actor=None, data=data)
    out.write_bytes(body)
    typer.echo(
        f"Profil {kube.name} (id {kube.pk}): {len(data.members)} anggota, {pages} halaman, {len(body):,} bita, "
        f"{time.perf_counter() - began:.1f} dtk → {out}"
    )


@analyze_app.command("af")
def analyze_af(
    input: Annotated[
        Path,
        typer.Option(
            "--input",
            help="CSV: satu baris per orang, satu kolom per indikator (kolom id/person_id diabaikan).",
        ),
    ],
    weights: Annotated[str, typer.Option("--weights", help="Bobot per kolom indikator, mis. 1,1,2.")],
    k: Annotated[str, typer.Option("--k", help="Batas miskin k: bagian indikator berbobot, 0 < k ≤ 1.")],
    cutoffs: Annotated[
        str | None,
        typer.Option("--cutoffs", help="Batas per kolom (deprivasi bila di bawahnya); tanpa ini sel harus 0/1."),
    ] = None,
) -> None:
    """Alkire–Foster H, A, M0 and each indicator's censored contribution, as JSON (no database)."""
    from berdaya.engine.errors import InputError
    from berdaya.engine.evaluation.afio import af_from_csv, af_report, parse_number_list
    from berdaya.engine.evaluation.alkire_foster import AlkireFosterError

    try:
        k_value = parse_number_list(k, option="--k")
        if len(k_value) != 1 or not (0 < k_value[0] <= 1):
            _fail(f"--k harus satu angka lebih dari 0 dan paling besar 1, bukan {k!r}")
        result = af_from_csv(
            input,
            weights=parse_number_list(weights, option="--weights"),
            k=k_value[0],
            cutoffs=parse_number_list(cutoffs, option="--cutoffs") if cutoffs is not None else None,
        )
    except (InputError, AlkireFosterError) as error:
        _fail(str(error))
        return
    typer.echo(json.dumps(af_report(result), indent=2))


@app.command()
def backup(
    out: Annotated[Path | None, typer.Option("--out", help="Berkas arsip cadangan yang ditulis (mode 0600).")] = None,
    check: Annotated[
        Path | None, typer.Option("--check", help="Periksa arsip ini saja (checksum, format, isi); tanpa mengubah.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Pengguna yang dicatat di log audit.")] = None,
) -> None:
    """Back up the whole database (SQLite or PostgreSQL) into one archive, or check an archive."""
    if (out is None) == (check is None):
        _fail("berikan tepat satu dari --out FILE atau --check FILE")
    _django()
    from berdaya.core.backup import BackupError, backup_check, backup_create

    try:
        result = backup_check(check) if check else backup_create(out, actor=_actor(user))
    except BackupError as error:
        _fail(str(error), code=1)
        return
    manifest = result.manifest
    rows = sum(manifest["tables"].values())
    verb = "Arsip baik" if check else "Cadangan dibuat"
    typer.echo(
        f"{verb}: {result.path} ({result.size:,} bita; {manifest['engine']}, {len(manifest['tables'])} tabel, "
        f"{rows:,} baris, {len(manifest['books'])} buku, dibuat {manifest['created_at']}, "
        f"sha256 {manifest['dump']['sha256'][:16]}…)"
    )
    for note in result.differences:
        typer.secho(f"Catatan: basis data ini tidak bisa memulihkannya. {note}", fg=typer.colors.YELLOW, err=True)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="Arsip dari `berdaya backup --out`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Jangan tanya konfirmasi.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Pengguna yang dicatat di log audit.")] = None,
) -> None:
    """Replace the whole database with a backup, after checking it; all or nothing."""
    _django()
    from berdaya.core.backup import BackupError, backup_restore

    actor = _actor(user)

    def confirm(manifest: dict) -> None:  # after the archive's checks, before anything changes
        if not yes:
            typer.confirm(
                f"Arsip baik. Seluruh isi basis data diganti dengan cadangan {file} (dibuat "
                f"{manifest['created_at']}, {sum(manifest['tables'].values()):,} baris). Lanjutkan?",
                abort=True,
            )

    try:
        result = backup_restore(file, actor=actor, confirm=confirm)
    except BackupError as error:
        _fail(str(error), code=1)
        return
    typer.echo(
        f"Dipulihkan dari {file}: {len(result.manifest['tables'])} tabel, "
        f"{sum(result.manifest['tables'].values()):,} baris dan {len(result.manifest['books'])} buku sama dengan "
        f"manifes ({result.seconds:.1f} dtk)."
    )


from berdaya.pdp.cli import subject_app  # noqa: E402 - the data-subject commands (UU PDP), a sub-app of their own

app.add_typer(subject_app, name="subject")


audit_app = typer.Typer(help="Log audit.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("breach")
def audit_breach(
    start: Annotated[str, typer.Option("--from", help="Awal: YYYY-MM-DD atau YYYY-MM-DDTHH:MM (waktu setempat).")],
    end: Annotated[str, typer.Option("--to", help="Akhir: YYYY-MM-DD (sampai akhir hari itu) atau waktu.")],
    region: Annotated[str | None, typer.Option("--region", help="Kode wilayah, mis. 61.71.")] = None,
    nik: Annotated[str | None, typer.Option("--nik", help="Hanya yang menyangkut orang ber-NIK ini.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Berkas .csv, .xlsx atau .json.")] = None,
) -> None:
    """Laporan insiden: siapa membaca, menampilkan, mengekspor atau mengubah data apa dalam rentang waktu."""
    _django()
    from berdaya.core.breach import FORMATS, breach_audit, breach_file, breach_report, parse_moment

    fmt = out.suffix.lower().lstrip(".") if out else "text"
    if out and fmt not in FORMATS:
        _fail(f"--out harus berakhiran {', '.join('.' + f for f in FORMATS)}, bukan {out.name!r}")
    try:
        window = parse_moment(start), parse_moment(end, end=True)
    except ValueError:
        _fail(f"--from/--to harus YYYY-MM-DD atau YYYY-MM-DDTHH:MM, bukan {start!r} / {end!r}")
        return
    try:
        report = breach_report(start=window[0], end=window[1], region=region, nik=nik)
    except ValueError as error:
        _fail(str(error), code=1)
        return
    breach_audit(actor=None, report=report, fmt=fmt)
    if out:
        out.write_bytes(breach_file(report, fmt)[0])
    for a in report.actors:
        typer.echo(
            f"{a.actor or 'sistem'} ({a.role or '-'}, {a.actor_region or '-'}; {', '.join(a.addresses) or '-'}): "
            f"{a.reveals} tampil NIK/KK, {a.exports} ekspor ({a.rows_exported:,} baris), {a.changes} perubahan"
        )
    typer.echo(f"{len(report.rows)} kejadian, {len(report.actors)} pengguna" + (f" -> {out}" if out else ""))


def main() -> None:
    app(prog_name="berdaya")


if __name__ == "__main__":
    sys.exit(main())
