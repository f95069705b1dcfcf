"""Running the database queue's worker: as its own process (`berdaya worker`) or, for the demo and the
development server, as a thread beside the web server so that queued jobs still run with one command."""

from __future__ import annotations

import threading

from django.conf import settings

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def database_queue() -> bool:
    """True when the default task backend is the database queue (the only one `berdaya worker` works)."""
    return settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND


def worker_thread_start() -> threading.Thread | None:
    """Start a database-queue worker in a daemon thread (`berdaya serve`, `berdaya demo`).

    Nothing is started when pages run jobs inline (BERDAYA_BACKGROUND_JOBS=false) or another backend
    is configured. A served installation runs `berdaya worker` as its own process instead.
    """
    if not settings.BERDAYA.get("BACKGROUND_JOBS") or not database_queue():
        return None
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"serve-{get_random_string(12)}",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="berdaya-worker", daemon=True)
    thread.start()
    return thread
