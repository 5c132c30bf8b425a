"""When specialists work; here, not in clinic, so bookings depends on clinic only."""

from django.db import models
from django.urls import reverse

from clinic.models import Specialist, WeeklyHours


class WorkingHours(WeeklyHours):
    """When a specialist can be booked (clinic.OpeningHours says why the two are apart)."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="working_hours")

    class Meta(WeeklyHours.Meta):
        ordering = ["specialist", "weekday", "start"]
        verbose_name = "working hours"
        verbose_name_plural = "working hours"

    def get_absolute_url(self):
        return reverse("admin:clinic_specialist_change", args=[self.specialist_id])


class DayOff(models.Model):
    """A date a specialist does not see anyone (leave, training, a holiday)."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField()
    reason = models.CharField(
        max_length=120, blank=True, help_text="For colleagues, e.g. “Conference”. Visitors never see it."
    )

    class Meta:
        ordering = ["specialist", "date"]
        verbose_name = "day off"
        verbose_name_plural = "days off"
        constraints = [
            models.UniqueConstraint(
                fields=["specialist", "date"],
                name="bookings_day_off_once_per_date",
                violation_error_message="This day off is already recorded.",
            )
        ]

    def __str__(self):
        return f"{self.date:%d %b %Y}"

    def get_absolute_url(self):
        return reverse("admin:clinic_specialist_change", args=[self.specialist_id])
