"""Working hours take clinic.WeeklyHours' shape: its check constraints' names."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0016_who_for_and_language_names"),
        ("clinic", "0006_weekly_hours"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="workinghours", name="bookings_working_hours_end_after_start"),
        migrations.RemoveConstraint(model_name="workinghours", name="bookings_working_hours_weekday_valid"),
        migrations.AddConstraint(
            model_name='workinghours',
            constraint=models.CheckConstraint(condition=models.Q(('end__gt', models.F('start'))), name='bookings_workinghours_end_after_start', violation_error_message='The hours must end after they start.'),
        ),
        migrations.AddConstraint(
            model_name='workinghours',
            constraint=models.CheckConstraint(condition=models.Q(('weekday__gte', 0), ('weekday__lte', 6)), name='bookings_workinghours_weekday_valid', violation_error_message='Unknown weekday.'),
        ),
    ]
