"""Database guards for the books, beyond what Django's constraints can say.

Both databases: a posted line or entry cannot be updated, and a line's account, entry and KUBE must
agree (an account of another KUBE's books is refused even by a raw INSERT).
PostgreSQL also: a line or entry cannot be deleted, and an entry whose lines do not balance (or has
fewer than two) cannot commit — a deferred constraint trigger checks it at COMMIT, so a bulk insert of
the entry first and its lines after is fine. SQLite has no deferred triggers and its test flush deletes
rows, so there the balance and delete guards are the services' alone.

Note for later migrations: SQLite rebuilds a table to alter it, which drops its triggers; the tests in
tests/ledger/test_guards.py fail if that happens.
"""

from django.db import migrations

PG_FORWARD = """
CREATE FUNCTION ledger_immutable() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger: % on % refused; posted books change only by a reversing entry', TG_OP, TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
  FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_line_immutable BEFORE UPDATE OR DELETE ON ledger_journalline
  FOR EACH ROW EXECUTE FUNCTION ledger_immutable();

CREATE FUNCTION ledger_line_same_book() RETURNS trigger AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM ledger_account a JOIN ledger_journalentry e ON e.kube_id = a.kube_id
     WHERE a.id = NEW.account_id AND e.id = NEW.entry_id AND a.kube_id = NEW.kube_id AND e.date = NEW.date
  ) THEN
    RAISE EXCEPTION 'ledger: a line''s account, entry and KUBE must be of the same books (entry %, account %)',
      NEW.entry_id, NEW.account_id;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_line_same_book BEFORE INSERT ON ledger_journalline
  FOR EACH ROW EXECUTE FUNCTION ledger_line_same_book();

CREATE FUNCTION ledger_entry_balanced() RETURNS trigger AS $$
DECLARE
  debits bigint; credits bigint; lines int;
BEGIN
  SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*) INTO debits, credits, lines
    FROM ledger_journalline WHERE entry_id = NEW.id;
  IF lines < 2 OR debits <> credits OR debits <> NEW.total THEN
    RAISE EXCEPTION 'ledger: entry % does not balance (% lines, debit %, credit %, total %)',
      NEW.id, lines, debits, credits, NEW.total;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_line_same_book ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_line_immutable ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_balanced();
DROP FUNCTION IF EXISTS ledger_line_same_book();
DROP FUNCTION IF EXISTS ledger_immutable();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE ON ledger_journalentry
       BEGIN SELECT RAISE(ABORT, 'ledger: posted entries change only by a reversing entry'); END""",
    """CREATE TRIGGER ledger_line_immutable BEFORE UPDATE ON ledger_journalline
       BEGIN SELECT RAISE(ABORT, 'ledger: posted lines change only by a reversing entry'); END""",
    """CREATE TRIGGER ledger_line_same_book BEFORE INSERT ON ledger_journalline
       WHEN NOT EXISTS (
         SELECT 1 FROM ledger_account a, ledger_journalentry e
          WHERE a.id = NEW.account_id AND e.id = NEW.entry_id AND a.kube_id = NEW.kube_id
            AND e.kube_id = NEW.kube_id AND e.date = NEW.date)
       BEGIN SELECT RAISE(ABORT, 'ledger: a line''s account, entry and KUBE must be of the same books'); END""",
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_line_same_book",
    "DROP TRIGGER IF EXISTS ledger_line_immutable",
    "DROP TRIGGER IF EXISTS ledger_entry_immutable",
]


def forward(apps, schema_editor):
    _run(schema_editor, PG_FORWARD, SQLITE_FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, PG_BACKWARD, SQLITE_BACKWARD)


def _run(schema_editor, postgres: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, None)  # None: the % in the messages are not placeholders
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
