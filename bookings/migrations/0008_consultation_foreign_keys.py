from importlib import import_module

from django.db import migrations

# SQLite renames a foreign key by rebuilding the table, which drops the
# overlap guard's triggers (migration 0004): put them back.
overlap_guard = import_module("bookings.migrations.0004_appointment_overlap_guard")


def restore_sqlite_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in overlap_guard.SQLITE_DROP + overlap_guard.SQLITE_ADD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0007_concern_protected")]

    operations = [
        migrations.RenameField("appointment", "request", "consultation"),
        migrations.RenameField("historicalappointment", "request", "consultation"),
        migrations.RenameField("internalnote", "request", "consultation"),
        migrations.RenameField("outboundemail", "request", "consultation"),
        migrations.RemoveField("outboundemail", "site_url"),
        migrations.RunPython(restore_sqlite_guard, migrations.RunPython.noop, elidable=False),
    ]
