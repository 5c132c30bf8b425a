from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class BookingsConfig(AppConfig):
    name = "bookings"

    def ready(self):
        from clinic.models import ClinicProfile, Holiday, Specialist

        from . import availability
        from .models import Appointment, DayOff, WorkingHours

        # Everything free time is made of (bookings.availability); WorkingHours'
        # bulk_create in services.give_clinic_hours moves the version itself.
        for model in (Appointment, WorkingHours, DayOff, Holiday, Specialist, ClinicProfile):
            for signal in (post_save, post_delete):
                signal.connect(
                    availability.schedule_changed, sender=model, dispatch_uid=f"schedule-{model.__name__}"
                )
