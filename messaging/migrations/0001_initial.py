"""The outgoing emails move here from bookings (its OutboundEmail) as
OutgoingMessage: the table and its rows stay as they are (state only), and
the content type and permissions follow, so Reception keeps seeing them.
0002 renames the table and adds the channel."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    moved = ContentType.objects.filter(app_label="bookings", model="outboundemail").update(
        app_label="messaging", model="outgoingmessage"
    )
    if moved:
        for permission in Permission.objects.filter(codename__endswith="_outboundemail"):
            permission.codename = permission.codename.replace("outboundemail", "outgoingmessage")
            permission.name = permission.name.replace("outgoing email", "outgoing message")
            permission.save()


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    ContentType.objects.filter(app_label="messaging", model="outgoingmessage").update(
        app_label="bookings", model="outboundemail"
    )
    for permission in Permission.objects.filter(codename__endswith="_outgoingmessage"):
        permission.codename = permission.codename.replace("outgoingmessage", "outboundemail")
        permission.name = permission.name.replace("outgoing message", "outgoing email")
        permission.save()


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("bookings", "0014_appointment_lifecycle"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingMessage",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=20)),
                        ("status", models.CharField(default="queued", max_length=10)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("last_error", models.CharField(blank=True, max_length=200)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                        ("reminder_for", models.DateTimeField(blank=True, editable=False, null=True)),
                        ("created", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ("claimed_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        (
                            "appointment",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outgoing_messages",
                                to="bookings.appointment",
                            ),
                        ),
                        (
                            "consultation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outgoing_messages",
                                to="bookings.consultationrequest",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "bookings_outboundemail",
                        "ordering": ["-created", "-pk"],
                        "indexes": [models.Index(fields=["status", "created"], name="bookings_outbound_status_idx")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("status__in", ["queued", "sending", "sent", "failed", "skipped"])),
                                name="bookings_outbound_status_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "sent"), _negated=True),
                                    ("sent_at__isnull", False),
                                    _connector="OR",
                                ),
                                name="bookings_outbound_sent_stamped",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("kind", "reminder"), ("reminder_for__isnull", False)),
                                fields=("appointment", "reminder_for"),
                                name="bookings_outbound_one_reminder_per_time",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
