"""The appointment lifecycle (bookings/lifecycle.py): "booked" is called
"confirmed", a hold nobody confirmed in time is "released" instead of
cancelled, and a check constraint admits the lifecycle's states only. The
overlap guard of migration 0004 now covers the occupying states by name
(held, confirmed, completed, no-show), so a released hold frees its time too."""

from django.db import migrations, models

GUARD = "bookings_appointment_no_overlap"
OLD_CONDITION = "status <> 'cancelled'"
NEW_CONDITION = "status IN ('held', 'confirmed', 'completed', 'no_show')"
RELEASE_REASON = "Not confirmed in time"


def guard_statements(vendor, condition):
    if vendor == "postgresql":
        return [
            f"ALTER TABLE bookings_appointment ADD CONSTRAINT {GUARD} "
            "EXCLUDE USING gist (specialist_id WITH =, tstzrange(\"start\", \"end\", '[)') WITH &&) "
            f"WHERE ({condition})"
        ]
    if vendor != "sqlite":
        return []
    overlap = f"""
SELECT RAISE(ABORT, '{GUARD}: this specialist already has an appointment at that time')
WHERE EXISTS (
    SELECT 1 FROM bookings_appointment other
    WHERE other.specialist_id = NEW.specialist_id
      AND other.{condition}
      AND other."start" < NEW."end"
      AND NEW."start" < other."end"
      {{not_self}}
);
"""
    new_condition = condition.replace("status", "NEW.status")
    return [
        f"""CREATE TRIGGER {GUARD}_insert BEFORE INSERT ON bookings_appointment
        WHEN {new_condition}
        BEGIN {overlap.format(not_self="")} END""",
        f"""CREATE TRIGGER {GUARD}_update BEFORE UPDATE OF specialist_id, "start", "end", status
        ON bookings_appointment
        WHEN {new_condition}
        BEGIN {overlap.format(not_self="AND other.id <> NEW.id")} END""",
    ]


def drop_guard(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE bookings_appointment DROP CONSTRAINT IF EXISTS {GUARD}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {GUARD}_insert")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {GUARD}_update")


def rename_states(apps, old, new, released_from, released_to):
    for name in ["Appointment", "HistoricalAppointment"]:
        model = apps.get_model("bookings", name)
        model.objects.filter(status=old).update(status=new)
        model.objects.filter(status=released_from, cancellation_reason=RELEASE_REASON).update(status=released_to)


def rename_forwards(apps, schema_editor):
    drop_guard(schema_editor)
    rename_states(apps, "booked", "confirmed", "cancelled", "released")


def rename_backwards(apps, schema_editor):
    drop_guard(schema_editor)
    rename_states(apps, "confirmed", "booked", "released", "cancelled")
    for statement in guard_statements(schema_editor.connection.vendor, OLD_CONDITION):
        schema_editor.execute(statement)


def drop_guard_only(apps, schema_editor):
    drop_guard(schema_editor)


def add_guard(apps, schema_editor):
    # Last: on SQLite, adding the check constraint rebuilds the table and its triggers with it.
    for statement in guard_statements(schema_editor.connection.vendor, NEW_CONDITION):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0013_request_repeats_and_automated'),
        ('clinic', '0004_clinic_profile_in_hindi'),
    ]

    operations = [
        migrations.RunPython(rename_forwards, rename_backwards, elidable=False),
        migrations.AlterField(
            model_name='appointment',
            name='status',
            field=models.CharField(choices=[('held', 'Awaiting confirmation'), ('confirmed', 'Confirmed'), ('completed', 'Completed'), ('no_show', 'No-show'), ('released', 'Released: not confirmed in time'), ('cancelled', 'Cancelled')], default='confirmed', max_length=10),
        ),
        migrations.AlterField(
            model_name='historicalappointment',
            name='status',
            field=models.CharField(choices=[('held', 'Awaiting confirmation'), ('confirmed', 'Confirmed'), ('completed', 'Completed'), ('no_show', 'No-show'), ('released', 'Released: not confirmed in time'), ('cancelled', 'Cancelled')], default='confirmed', max_length=10),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['held', 'confirmed', 'completed', 'no_show', 'released', 'cancelled'])), name='bookings_appointment_state_valid', violation_error_message='Unknown appointment state.'),
        ),
        migrations.RunPython(add_guard, drop_guard_only, elidable=False),
    ]
