"""Video rooms and India's Telemedicine Practice Guidelines: the clinician's
identity check and the visitor's consent to consult at a distance."""

import importlib

from django.db import migrations, models

lifecycle = importlib.import_module("bookings.migrations.0014_appointment_lifecycle")


def restore_guard(apps, schema_editor):
    # On SQLite a NOT NULL column rebuilds the table, dropping the overlap guard's triggers.
    if schema_editor.connection.vendor == "sqlite":
        lifecycle.drop_guard(schema_editor)
        lifecycle.add_guard(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('bookings', '0017_weekly_hours'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_guard, elidable=False),
        migrations.AddField(
            model_name='appointment',
            name='identity_checked',
            field=models.BooleanField(default=False, help_text="Ticked by the clinician at the start of a video or phone consultation, once the visitor's name, age group and who the appointment is for are confirmed.", verbose_name='identity checked'),
        ),
        migrations.AddField(
            model_name='consultationrequest',
            name='remote_consent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='consent to a video or phone consultation given at'),
        ),
        migrations.AddField(
            model_name='historicalappointment',
            name='identity_checked',
            field=models.BooleanField(default=False, help_text="Ticked by the clinician at the start of a video or phone consultation, once the visitor's name, age group and who the appointment is for are confirmed.", verbose_name='identity checked'),
        ),
        migrations.AddField(
            model_name='historicalconsultationrequest',
            name='remote_consent_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='consent to a video or phone consultation given at'),
        ),
        migrations.AlterField(
            model_name='appointment',
            name='video_link',
            field=models.URLField(blank=True, help_text='For video calls: made when the appointment is confirmed (or type a link). Sent to the visitor only.', verbose_name='video room'),
        ),
        migrations.AlterField(
            model_name='historicalappointment',
            name='video_link',
            field=models.URLField(blank=True, help_text='For video calls: made when the appointment is confirmed (or type a link). Sent to the visitor only.', verbose_name='video room'),
        ),
        migrations.RunPython(restore_guard, migrations.RunPython.noop, elidable=False),
    ]
