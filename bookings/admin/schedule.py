"""Working time inlines on the Specialist admin, registered again from here
because clinic must not know about bookings."""

from django.contrib import admin, messages
from django.utils.html import format_html

from clinic.admin import SpecialistAdmin
from clinic.models import Specialist

from .. import services
from ..feeds import calendar_feed_url
from ..models import DayOff, WorkingHours


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    verbose_name_plural = (
        "working hours (clinic time; a new specialist starts with the clinic's opening hours; "
        "appointments outside them need an override)"
    )


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 0


admin.site.unregister(Specialist)


@admin.register(Specialist)
class SpecialistWithScheduleAdmin(SpecialistAdmin):
    inlines = [*SpecialistAdmin.inlines, WorkingHoursInline, DayOffInline]
    autocomplete_fields = [*SpecialistAdmin.autocomplete_fields, "user"]
    readonly_fields = [*SpecialistAdmin.readonly_fields, "calendar_feed"]
    fieldsets = [
        *SpecialistAdmin.fieldsets,
        ("Clinician's staff account and calendar", {"fields": ["user", "calendar_feed"]}),
    ]
    actions = [*(SpecialistAdmin.actions or []), "renew_calendar_feed", "revoke_calendar_feed"]

    @admin.display(description="calendar feed")
    def calendar_feed(self, obj):
        if not obj.pk or not obj.calendar_token:
            return "No feed. Choose “Give a new calendar feed address” in the list of specialists."
        return format_html(
            '<code class="calendar-feed">{}</code><br>Private: whoever has this address sees the '
            "times, mode and reference of this specialist's appointments. Subscribe to it from Google "
            "Calendar (Other calendars, From URL), Apple Calendar or Outlook.",
            calendar_feed_url(obj),
        )

    @admin.action(
        description="Give a new calendar feed address (the old one stops working)", permissions=["change"]
    )
    def renew_calendar_feed(self, request, queryset):
        for specialist in queryset:
            specialist.renew_calendar_token()
        self.message_user(request, f"{len(queryset)} new calendar feed address(es).", messages.SUCCESS)

    @admin.action(description="Revoke calendar feeds", permissions=["change"])
    def revoke_calendar_feed(self, request, queryset):
        for specialist in queryset:
            specialist.revoke_calendar_token()
        self.message_user(request, f"{len(queryset)} calendar feed(s) revoked.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            services.give_clinic_hours(form.instance)
