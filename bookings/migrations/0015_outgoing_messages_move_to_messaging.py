"""OutboundEmail leaves bookings for the messaging app (messaging 0001 takes
over its table as it stands), so this removes it from bookings' state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0014_appointment_lifecycle"),
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboundEmail")],
            database_operations=[],
        ),
    ]
