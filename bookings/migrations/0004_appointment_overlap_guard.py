"""The database itself refuses two overlapping appointments (not cancelled) for
one specialist, so no race between two receptionists can double-book.

PostgreSQL: an exclusion constraint over (specialist, [start, end)) with
btree_gist. SQLite: BEFORE INSERT/UPDATE triggers that abort on overlap; the
settings open every transaction with BEGIN IMMEDIATE, so writers take turns and
the trigger's check cannot interleave with another insert.

Neither is part of the model state (Django cannot express the SQLite trigger,
and the exclusion constraint exists on one vendor only), so `makemigrations`
sees the same state on both databases. Both raise IntegrityError, which
bookings.scheduling turns into a friendly message."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

GUARD = "bookings_appointment_no_overlap"

POSTGRES_ADD = f"""
ALTER TABLE bookings_appointment ADD CONSTRAINT {GUARD}
EXCLUDE USING gist (specialist_id WITH =, tstzrange("start", "end", '[)') WITH &&)
WHERE (status <> 'cancelled')
"""
POSTGRES_DROP = f"ALTER TABLE bookings_appointment DROP CONSTRAINT IF EXISTS {GUARD}"

SQLITE_OVERLAP = """
SELECT RAISE(ABORT, '{guard}: this specialist already has an appointment at that time')
WHERE EXISTS (
    SELECT 1 FROM bookings_appointment other
    WHERE other.specialist_id = NEW.specialist_id
      AND other.status <> 'cancelled'
      AND other."start" < NEW."end"
      AND NEW."start" < other."end"
      {not_self}
);
"""
SQLITE_ADD = [
    f"""CREATE TRIGGER {GUARD}_insert BEFORE INSERT ON bookings_appointment
    WHEN NEW.status <> 'cancelled'
    BEGIN {SQLITE_OVERLAP.format(guard=GUARD, not_self="")} END""",
    f"""CREATE TRIGGER {GUARD}_update BEFORE UPDATE OF specialist_id, "start", "end", status
    ON bookings_appointment
    WHEN NEW.status <> 'cancelled'
    BEGIN {SQLITE_OVERLAP.format(guard=GUARD, not_self="AND other.id <> NEW.id")} END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {GUARD}_insert", f"DROP TRIGGER IF EXISTS {GUARD}_update"]


def add_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_ADD)
    elif vendor == "sqlite":
        for statement in SQLITE_ADD:
            schema_editor.execute(statement)


def remove_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_appointment_scheduling"),
    ]

    operations = [
        # Does nothing on databases other than PostgreSQL.
        BtreeGistExtension(),
        migrations.RunPython(add_guard, remove_guard, elidable=False),
    ]
