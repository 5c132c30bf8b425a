"""The staff groups: Reception works the booking queue; Editors write articles
and see nothing of any request."""

from django.db import migrations

RECEPTION = {
    "bookings": [
        "view_consultationrequest",
        "change_consultationrequest",
        "view_internalnote",
        "add_internalnote",
        "view_appointment",
        "add_appointment",
        "change_appointment",
    ],
}


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    reception, _ = Group.objects.get_or_create(name="Reception")
    for app_label, codenames in RECEPTION.items():
        reception.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )

    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*Permission.objects.filter(content_type__app_label="articles"))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Reception", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("articles", "0002_refine_articles"),
        ("bookings", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
