from django.contrib import admin
from django.shortcuts import redirect

from .models import ClinicProfile, Specialist


@admin.register(ClinicProfile)
class ClinicProfileAdmin(admin.ModelAdmin):
    fieldsets = [
        (None, {"fields": ["name", "tagline", "about"]}),
        (
            "Contact",
            {"fields": ["phone", "email", "street_address", "locality", "region", "postal_code", "country"]},
        ),
        ("Opening hours", {"fields": ["opening_hours", "open_weekdays", "response_time_hours"]}),
        (
            "Crisis helplines",
            {"fields": ["helpline_name", "helpline_phone", "helpline_alt_phone", "emergency_phone"]},
        ),
        ("Privacy", {"fields": ["privacy_notice_version", "grievance_officer", "grievance_email"]}),
    ]

    def has_add_permission(self, request):
        return not ClinicProfile.objects.exists()

    def changelist_view(self, request, extra_context=None):
        # There is one profile: open it, not a list of one.
        return redirect("admin:clinic_clinicprofile_change", ClinicProfile.load().pk)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Specialist)
class SpecialistAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "accepts_bookings", "is_active", "order"]
    list_editable = ["order"]
    list_filter = ["is_active", "accepts_bookings"]
    search_fields = ["name", "title", "credentials", "registration_number"]
    prepopulated_fields = {"slug": ["name"]}
