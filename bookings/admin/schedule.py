"""Working time inlines on the Specialist admin, registered again from here
because clinic must not know about bookings."""

from django.contrib import admin

from clinic.admin import SpecialistAdmin
from clinic.models import Specialist

from .. import services
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            services.give_clinic_hours(form.instance)
