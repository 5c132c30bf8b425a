"""Clinicians (and reception) record the identity check at the start of a
video or phone consultation: a permission of its own, so clinicians stay
read-only otherwise."""

from django.db import migrations

GROUPS = ["Clinicians", "Reception"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need this one now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="bookings", codename="check_identity")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="bookings", codename="check_identity").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0018_video_rooms"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="appointment",
            options={
                "ordering": ["start"],
                "permissions": [
                    ("check_identity", "Can record the identity check of a video or phone consultation")
                ],
                "verbose_name": "appointment",
            },
        ),
        migrations.RunPython(grant, revoke, elidable=False),
    ]
