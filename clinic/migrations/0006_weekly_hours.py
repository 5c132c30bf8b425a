"""Opening hours and working hours share one shape (clinic.WeeklyHours): the
clinic's opens/closes are called start/end as the specialists' are, and the
check constraints take the shared names. No value changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0005_specialist_modes"),
        # After bookings' data migrations, which read opening hours as opens/closes.
        ("bookings", "0016_who_for_and_language_names"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="openinghours", name="clinic_opening_hours_close_after_open"),
        migrations.RemoveConstraint(model_name="openinghours", name="clinic_opening_hours_weekday_valid"),
        migrations.RenameField(model_name="openinghours", old_name="opens", new_name="start"),
        migrations.RenameField(model_name="openinghours", old_name="closes", new_name="end"),
        migrations.AlterModelOptions(
            name='openinghours',
            options={'ordering': ['weekday', 'start'], 'verbose_name': 'opening hours', 'verbose_name_plural': 'opening hours'},
        ),
        migrations.AlterField(
            model_name='openinghours',
            name='end',
            field=models.TimeField(help_text='Clinic time; the last appointment must end by then.'),
        ),
        migrations.AddConstraint(
            model_name='openinghours',
            constraint=models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='clinic_openinghours_end_after_start', violation_error_message='The hours must end after they start.'),
        ),
        migrations.AddConstraint(
            model_name='openinghours',
            constraint=models.CheckConstraint(condition=models.Q(('weekday__gte', 0), ('weekday__lte', 6)), name='clinic_openinghours_weekday_valid', violation_error_message='Unknown weekday.'),
        ),
    ]
