"""Reception can see the outgoing emails (and send failed ones again, which
needs the request change permission they already have)."""

from django.db import migrations

CODENAMES = ["view_outboundemail"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reception = Group.objects.filter(name="Reception").first()
    if reception is not None:
        reception.permissions.add(
            *Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reception = Group.objects.filter(name="Reception").first()
    if reception is not None:
        reception.permissions.remove(
            *Permission.objects.filter(content_type__app_label="bookings", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0005_outbound_email"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
