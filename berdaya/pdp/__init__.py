"""Data-subject rights under UU PDP No. 27/2022 (spec §9): export, correct and anonymise one person.

A package without models or an app config: a person's data lives in every app (registry, kube, mentoring,
ledger, evaluation, the audit log), so the rights that reach across all of them live beside the apps rather
than inside one. `record.py` reads everything held on a NIK, `services.py` writes (export audit, correct,
anonymise), `pdf.py` renders the export, `views.py`/`urls.py` are the pages and `cli.py` the
`berdaya subject` commands. Nothing is imported here, so `berdaya.cli` can load `pdp.cli` before Django is
set up.
"""
