"""PostgreSQL: a line added to an entry already committed must not unbalance it.

0002 checks an entry's balance at the COMMIT of the transaction that inserted the entry; a line
inserted later into an old entry escaped that check. This deferred trigger checks the line's entry
at the COMMIT of the transaction that inserted the line. (SQLite: see 0002.)
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION ledger_line_entry_balanced() RETURNS trigger AS $$
DECLARE
  debits bigint; credits bigint; lines int; entry_total bigint;
BEGIN
  SELECT total INTO entry_total FROM ledger_journalentry WHERE id = NEW.entry_id;
  SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*) INTO debits, credits, lines
    FROM ledger_journalline WHERE entry_id = NEW.entry_id;
  IF lines < 2 OR debits <> credits OR debits <> entry_total THEN
    RAISE EXCEPTION 'ledger: entry % does not balance after adding a line (% lines, debit %, credit %, total %)',
      NEW.entry_id, lines, debits, credits, entry_total;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_line_entry_balanced AFTER INSERT ON ledger_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_line_entry_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_line_entry_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_line_entry_balanced();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, None)  # None: the % in the message are not placeholders


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_guards")]

    operations = [migrations.RunPython(forward, backward)]
