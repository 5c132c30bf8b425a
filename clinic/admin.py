from django.contrib import admin
from django.shortcuts import redirect

from .models import ClinicProfile, Holiday, OpeningHours, Specialist


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    verbose_name_plural = "opening hours (clinic time; add two rows for a day with a break)"


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    verbose_name_plural = "holidays (the whole clinic is closed; no open times are offered)"


@admin.register(ClinicProfile)
class ClinicProfileAdmin(admin.ModelAdmin):
    inlines = [OpeningHoursInline, HolidayInline]
    fieldsets = [
        (None, {"fields": ["name", "tagline", "about"]}),
        (
            "Contact",
            {"fields": ["phone", "email", "street_address", "locality", "region", "postal_code", "country"]},
        ),
        ("Appointments", {"fields": ["response_time_hours", "buffer_minutes"]}),
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
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "title",
                    "credentials",
                    "registration_number",
                    "bio",
                    "photo",
                    "photo_alt",
                    "languages",
                    "accepts_bookings",
                    "is_active",
                    "order",
                ]
            },
        ),
        (
            "Ways of meeting, with fee and consultation length for each",
            {
                "fields": [
                    ("offers_in_clinic", "fee_in_clinic", "length_in_clinic"),
                    ("offers_video", "fee_video", "length_video"),
                    ("offers_phone", "fee_phone", "length_phone"),
                    "video_room",
                ],
                "description": "The booking form offers only the ways of meeting ticked here. "
                "Fees are in rupees and optional; an empty fee is not shown to visitors.",
            },
        ),
    ]
