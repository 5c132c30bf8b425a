"""Admin for appointments, specialists' working time and the outgoing emails.
Imported by bookings.admin."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import SpecialistAdmin
from clinic.models import Specialist

from . import outbox, scheduling
from .models import Appointment, DayOff, OutboundEmail, WorkingHours


class AppointmentAdminForm(forms.ModelForm):
    duration = forms.IntegerField(
        label="Length (minutes)",
        initial=50,
        min_value=10,
        max_value=240,
        help_text="A standard consultation is 50 minutes.",
    )
    override_working_hours = forms.BooleanField(
        label="Schedule outside working hours",
        required=False,
        help_text="Tick only when the specialist has agreed to see the visitor outside their usual hours or on a day off.",
    )

    video_link = forms.URLField(
        label="Video link",
        required=False,
        assume_scheme="https",
        help_text=Appointment._meta.get_field("video_link").help_text,
    )

    class Meta:
        model = Appointment
        fields = ["request", "specialist", "start", "duration", "mode", "location", "video_link"]

    def __init__(self, *args, site_url="", user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site_url, self.user = site_url, user
        if self.instance.pk:
            self.fields["duration"].initial = int(self.instance.duration.total_seconds() // 60)
            self.fields["request"].disabled = True
        self.fields["specialist"].queryset = Specialist.objects.active()
        # The admin's date and time boxes carry no labels of their own; screen
        # readers need one for each.
        start_widget = self.fields["start"].widget
        for widget, label in zip(
            getattr(start_widget, "widgets", []), ["Start date", "Start time"], strict=False
        ):
            widget.attrs["aria-label"] = label

    def _post_clean(self):
        super()._post_clean()
        if self.errors or (self.instance.pk and not self.has_changed()):
            # Saving an unchanged appointment must not email the visitor again.
            return
        # The booking itself happens here, inside the admin's transaction, so a
        # clash found by the database (another receptionist a moment earlier)
        # comes back as a message beside the field, not as an error page.
        data = self.cleaned_data
        options = {
            "start": data["start"],
            "duration": timedelta(minutes=data["duration"]),
            "specialist": data["specialist"],
            "mode": data["mode"],
            "location": data["location"],
            "video_link": data["video_link"],
            "override_hours": data["override_working_hours"],
            "user": self.user,
            "site_url": self.site_url,
        }
        try:
            if self.instance.pk:
                self.instance = scheduling.reschedule_appointment(self.instance, **options)
            else:
                self.instance = scheduling.schedule_appointment(data["request"], **options)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    form = AppointmentAdminForm

    class Media:
        css = {"all": ["bookings/admin.css"]}

    list_display = ["request", "specialist", "start", "end", "mode", "status"]
    list_filter = ["status", "mode", "specialist"]
    list_select_related = ["request", "specialist"]
    autocomplete_fields = ["request"]
    date_hierarchy = "start"
    readonly_fields = ["status", "sequence", "cancellation_reason"]
    actions = ["cancel_appointments", "mark_completed", "mark_no_show"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        site_url = request.build_absolute_uri("/")

        class BoundForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, site_url=site_url, user=request.user, **kw)

        return BoundForm

    def get_fieldsets(self, request, obj=None):
        main = [
            "request",
            "specialist",
            "start",
            "duration",
            "override_working_hours",
            "mode",
            "location",
            "video_link",
        ]
        if obj is None:
            return [(None, {"fields": main})]
        return [
            (None, {"fields": main}),
            ("Status", {"fields": ["status", "sequence", "cancellation_reason"]}),
        ]

    def has_change_permission(self, request, obj=None):
        # A cancelled or finished appointment is a record; book a new one instead.
        if obj is not None and not obj.is_live:
            return False
        return super().has_change_permission(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        initial.setdefault("start", start)
        return initial

    def save_model(self, request, obj, form, change):
        # Saved already, by the scheduling service the form called.
        pass

    @admin.action(description="Cancel selected appointments (the visitor is emailed)", permissions=["change"])
    def cancel_appointments(self, request, queryset):
        site_url = request.build_absolute_uri("/")
        count = sum(
            scheduling.cancel_appointment(a, user=request.user, site_url=site_url) for a in queryset.live()
        )
        self.message_user(request, f"{count} appointment(s) cancelled.", messages.SUCCESS)

    def _close(self, request, queryset, status, done):
        count = sum(scheduling.close_appointment(a, status, user=request.user) for a in queryset.live())
        self.message_user(request, f"{count} appointment(s) {done}.", messages.SUCCESS)

    @admin.action(description="Mark completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._close(request, queryset, Appointment.Status.COMPLETED, "marked completed")

    @admin.action(description="Mark no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._close(request, queryset, Appointment.Status.NO_SHOW, "marked no-show")


def appointments_summary(consultation):
    """The request's appointments as links, and a link to schedule one: shown
    read-only on the request's admin page. Scheduling, moving and cancelling go
    through the appointment's own page, which checks the rules and emails the
    visitor."""
    if consultation is None or consultation.pk is None:
        return "—"
    items = [
        format_html(
            '<li><a href="{}">{}</a>: {}, {}</li>',
            reverse("admin:bookings_appointment_change", args=[appointment.pk]),
            date_format(timezone.localtime(appointment.start), "D j M Y, H:i"),
            appointment.specialist,
            appointment.get_status_display().lower(),
        )
        for appointment in consultation.appointments.select_related("specialist")
    ]
    schedulable = consultation.status in scheduling.SCHEDULABLE and not consultation.erased_at
    if schedulable and not any(a.is_live for a in consultation.appointments.all()):
        items.append(
            format_html('<li><a href="{}">Schedule an appointment</a></li>', schedule_link(consultation))
        )
    if not items:
        return "—"
    return format_html(
        '<ul class="appointments-summary">{}</ul>', format_html_join("", "{}", ((i,) for i in items))
    )


def schedule_link(consultation):
    return f"{reverse('admin:bookings_appointment_add')}?request={consultation.pk}"


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0
    verbose_name_plural = "working hours (clinic time; appointments outside them need an override)"


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 0


# The Specialist admin lives in clinic, which must not know about bookings;
# bookings adds its inlines to it instead.
admin.site.unregister(Specialist)


@admin.register(Specialist)
class SpecialistWithScheduleAdmin(SpecialistAdmin):
    inlines = [*SpecialistAdmin.inlines, WorkingHoursInline, DayOffInline]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["bookings/admin.css"]}

    list_display = [
        "created",
        "kind",
        "request",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "created"]
    list_select_related = ["request"]
    search_fields = ["=request__reference"]
    search_help_text = "Search by request reference."
    date_hierarchy = "created"
    actions = ["send_again"]
    fields = [*list_display[1:], "appointment", "claimed_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request):
        return request.user.has_perm("bookings.change_consultationrequest")

    @admin.action(description="Send again", permissions=["send"])
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset.select_related("request", "appointment"))
        self.message_user(request, f"{count} email(s) queued to send again.", messages.SUCCESS)
        if count < queryset.count():
            self.message_user(request, "Emails being sent right now were left alone.", messages.WARNING)
