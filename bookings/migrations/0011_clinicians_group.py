"""The Clinicians group: each sees only their own appointments and the requests
assigned to them or booked with them, read-only (bookings/access.py)."""

from django.db import migrations

CLINICIANS = {
    "bookings": ["view_consultationrequest", "view_internalnote", "view_appointment"],
}


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    clinicians, _ = Group.objects.get_or_create(name="Clinicians")
    for app_label, codenames in CLINICIANS.items():
        clinicians.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Clinicians").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("bookings", "0010_appointment_end_index"),
        ("clinic", "0003_specialist_user_calendar"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
