from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicConfig(AppConfig):
    # The default for "clinic" in INSTALLED_APPS (this module has two configs).
    default = True
    name = "clinic"

    def ready(self):
        from . import checks  # noqa: F401 - registers the deploy checks


class ClinicAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the clinic's own admin site as `admin.site`."""

    default = False
    default_site = "clinic.admin_site.ClinicAdminSite"
