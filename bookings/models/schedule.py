"""When specialists work; here, not in clinic, so bookings depends on clinic only."""

from django.db import models
from django.urls import reverse

from clinic.models import Specialist, Weekday


class WorkingHours(models.Model):
    """One block of a usual week, clinic time; a lunch break is a gap between two."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    start = models.TimeField(help_text="Clinic time (India Standard Time).")
    end = models.TimeField(help_text="Clinic time; the last appointment must end by then.")

    class Meta:
        ordering = ["specialist", "weekday", "start"]
        verbose_name = "working hours"
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="bookings_working_hours_end_after_start",
                violation_error_message="Working hours must end after they start.",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="bookings_working_hours_weekday_valid",
                violation_error_message="Unknown weekday.",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

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
