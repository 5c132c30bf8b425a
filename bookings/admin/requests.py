import csv
import logging
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from simple_history.template_utils import HistoricalRecordContextHelper

from clinic.formats import local_datetime
from clinic.models import ClinicProfile

from .. import services
from ..access import own_requests
from ..models import ConsultationRequest, InternalNote
from ..models.requests import URGENT_FIRST
from ..replies import contact_links
from .appointments import appointments_summary, schedule_link, week_link
from .visibility import VisibleOnlyAdmin

logger = logging.getLogger(__name__)
Status = ConsultationRequest.Status
# When each status after "new" was reached.
STATUS_TIMES = [stamp for stamp in ConsultationRequest.STATUS_STAMPS.values() if stamp != "created"]


class AssignedToMeFilter(admin.SimpleListFilter):
    title = "assigned to"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Me"), ("nobody", "Nobody")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"
    # value -> (label, the queryset method that gives it)
    QUEUES = {
        "awaiting": ("Awaiting first contact", "awaiting_contact"),
        "urgent": ("Urgent and open", "urgent_open"),
        "overdue": ("Waiting longer than {hours} hours", "overdue"),
        "open": ("Open", "open"),
        "changed": ("Changed by the visitor", "changed_by_visitor"),
    }

    def lookups(self, request, model_admin):
        hours = ClinicProfile.load().response_time_hours
        return [(value, label.format(hours=hours)) for value, (label, _method) in self.QUEUES.items()]

    def queryset(self, request, queryset):
        if self.value() in self.QUEUES:
            return getattr(queryset, self.QUEUES[self.value()][1])()
        return queryset


class InternalNoteInline(admin.TabularInline):
    model = InternalNote
    fields = ["text", "author", "created"]
    readonly_fields = ["author", "created"]
    extra = 1
    can_delete = False
    verbose_name_plural = "internal notes (staff only)"

    def has_change_permission(self, request, obj=None):
        # A note is a record of what happened: it is added, never rewritten.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            # A table cell has no <label>: screen readers need a name.
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3, "aria-label": "New note"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ReadableHistory(HistoricalRecordContextHelper):
    """History deltas in the words staff use: labels, not stored codes."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or getattr(value, "pk", 0) is None:
            return "nobody" if field.is_relation else "—"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        return value


class ConsultationRequestAdminForm(forms.ModelForm):
    change_status_to = forms.ChoiceField(
        label="Move to",
        required=False,
        help_text="The next steps this request can take. The time of the change is recorded.",
    )

    class Meta:
        model = ConsultationRequest
        fields = ["assigned_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = self.instance.allowed_transitions() if self.instance.pk else []
        if allowed and self.instance.appointments.current().exists():
            allowed = []  # it follows its appointment (services.change_status)
            self.fields[
                "change_status_to"
            ].help_text = "This request follows its appointment: confirm, cancel or close the appointment."
        # "Scheduled" comes with an appointment (schedule, or confirm a hold), never by hand.
        self.fields["change_status_to"].choices = [("", "Keep as it is")] + [
            (status.value, status.label) for status in allowed if status not in services.BY_APPOINTMENT_ONLY
        ]


@admin.register(ConsultationRequest)
class ConsultationRequestAdmin(VisibleOnlyAdmin):
    form = ConsultationRequestAdminForm

    class Media:
        css = {"all": ["bookings/admin.css"]}

    list_display = [
        "reference",
        "name",
        "status",
        "urgent_label",
        "concern",
        "mode",
        "time_waiting",
        "assigned_to",
        "created",
    ]
    list_display_links = ["reference", "name"]
    list_filter = [
        QueueFilter,
        "status",
        "urgent",
        "concern",
        "mode",
        ("preferred_specialist", admin.RelatedOnlyFieldListFilter),
        AssignedToMeFilter,
        "created",
    ]
    list_select_related = ["concern", "assigned_to"]
    search_fields = ["=reference", "name", "email", "phone"]
    search_help_text = "Search by reference, name, email or phone number."
    date_hierarchy = "created"
    list_per_page = 50
    actions = [
        "assign_to_me",
        "mark_contacted",
        "mark_visitor_change_seen",
        "mark_spam",
        "schedule_appointment",
        "export_csv",
    ]
    inlines = [InternalNoteInline]
    object_history_template = "admin/bookings/consultationrequest/object_history.html"
    object_history_list_template = "admin/bookings/consultationrequest/history_list.html"
    fieldsets = [
        ("Workflow", {"fields": ["status", "change_status_to", "assigned_to", "appointments"]}),
        ("Who", {"fields": ["reference", "created", "name", "who_for", "spoken_language"]}),
        ("Contact", {"fields": ["email", "phone", "contact_channels_display", "discreet"]}),
        ("Safety", {"fields": ["safe_now", "urgent", "possibly_automated", "repeat_of"]}),
        (
            "What they asked for",
            {"fields": ["concern", "message", "mode", "preferred_specialist", "preferred_times"]},
        ),
        (
            "Consent",
            {"fields": ["consent_notice_version", "page_language", "consented_at", "remote_consent_at"]},
        ),
        ("Source", {"fields": ["source_article", "campaign"]}),
        ("Status times", {"fields": [*STATUS_TIMES, "erased_at"], "classes": ["collapse"]}),
    ]

    # Everything shown is read-only except the fields of the form.
    readonly_fields = [
        name for name in flatten_fieldsets(fieldsets) if name not in ConsultationRequestAdminForm.base_fields
    ]
    view_on_site = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.visible_or_404(request, object_id)
        if not obj.erased_at:
            extra_context = {**(extra_context or {}), "summary": request_summary(obj, request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistory(self.model, historical_record)

    def revert_disabled(self, request, obj=None):
        # What the visitor sent is read-only, and history is a record, not an undo button.
        return True

    def has_add_permission(self, request):
        # Requests come from visitors, with their own consent; staff do not invent them.
        return False

    def has_export_permission(self, request):
        return request.user.has_perm("bookings.export_consultationrequest")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 6:
            # Phone numbers are stored as +91…; let "98765 43210" find them.
            queryset |= self.model.objects.filter(phone__contains=digits[-10:])
        return queryset, may_have_duplicates

    def appointments(self, obj):
        return appointments_summary(obj)

    def get_queryset(self, request):
        return own_requests(super().get_queryset(request), request.user)

    def get_ordering(self, request):
        # Someone who said they are not safe is never below the fold.
        return [URGENT_FIRST, "-created"]

    @admin.display(description="urgent", ordering="urgent")
    def urgent_label(self, obj):
        if not obj.urgent:
            return ""
        if obj.repeat_of_id:
            return "Repeat"  # of an earlier urgent request from the same contact
        return mark_safe('<strong class="urgent-label">Urgent</strong>')

    @admin.display(description="time waiting", ordering="created")
    def time_waiting(self, obj):
        if obj.status != Status.NEW:
            return "—"
        return timesince(obj.created, depth=1)

    @admin.display(description="contact by")
    def contact_channels_display(self, obj):
        return obj.contact_channels_display or "—"

    def preferred_times(self, obj):
        return "; ".join(f"{date_format(day)}, {part}" for day, part in obj.preferred_windows)

    def campaign(self, obj):
        return (
            ", ".join(f"{name.removeprefix('utm_')}={value}" for name, value in obj.campaign.items()) or "—"
        )

    def save_model(self, request, obj, form, change):
        # Saving an unchanged request would add an empty line to its history.
        if "assigned_to" in form.changed_data:
            services.assign(obj, form.cleaned_data["assigned_to"], by=request.user)
        if form.cleaned_data.get("change_status_to"):
            services.change_status(obj, form.cleaned_data["change_status_to"], user=request.user)

    def save_formset(self, request, form, formset, change):
        # Notes are only ever added (see InternalNoteInline).
        for note in formset.save(commit=False):
            services.add_note(form.instance, request.user, note.text)

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = services.assign_all(queryset, request.user)
        self.message_user(request, f"{count} request(s) assigned to you.", messages.SUCCESS)

    @admin.action(description="Mark contacted", permissions=["change"])
    def mark_contacted(self, request, queryset):
        self._bulk_transition(request, queryset, Status.CONTACTED)

    @admin.action(description="Mark the visitor's change as seen", permissions=["change"])
    def mark_visitor_change_seen(self, request, queryset):
        # Takes them off the dashboard's "changed by visitors" count.
        count = services.mark_visitor_change_seen(queryset, user=request.user)
        self.message_user(request, f"{count} visitor change(s) marked as seen.", messages.SUCCESS)

    @admin.action(description="Mark spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._bulk_transition(request, queryset, Status.SPAM)

    def _bulk_transition(self, request, queryset, status):
        selected = queryset.count()
        changed = services.change_status_of_all(queryset, status, user=request.user)
        self.message_user(request, f"{changed} request(s) marked {status.label.lower()}.", messages.SUCCESS)
        if changed < selected:
            self.message_user(
                request,
                f"{selected - changed} request(s) left as they were: their status cannot move to "
                f"{status.label.lower()}.",
                messages.WARNING,
            )

    @admin.action(description="Schedule an appointment", permissions=["change"])
    def schedule_appointment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one request to schedule.", messages.WARNING)
            return None
        return HttpResponseRedirect(schedule_link(queryset.get()))

    @admin.action(description="Export selected as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="consultation-requests-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        # Every cell quoted, so no separator inside a value starts a new cell.
        writer = csv.writer(response, quoting=csv.QUOTE_ALL)
        writer.writerow([heading for heading, _value in CSV_COLUMNS])
        rows = queryset.select_related("concern", "preferred_specialist", "assigned_to", "source_article")
        for obj in rows:
            writer.writerow([_csv_safe(value(obj)) for _heading, value in CSV_COLUMNS])
        # Counts and who, never what: this line may end up in shared logs.
        logger.info("User %s exported %d consultation requests", request.user.pk, len(rows))
        return response


def request_summary(obj, request):
    """The top of the request's page: what was asked for, and the ways to reply."""
    may_confirm = request.user.has_perm("bookings.change_appointment")
    appointments = [
        {
            "when": local_datetime(a.start),
            "specialist": a.specialist,
            "status": a.get_status_display().lower(),
            "expires": local_datetime(a.expires_at) if a.is_held else "",
            "confirm_url": reverse("admin:bookings_appointment_confirm", args=[a.pk]) if a.is_held else "",
            "offer_url": reverse("admin:bookings_appointment_offer", args=[a.pk]) if a.is_held else "",
        }
        for a in obj.appointments.select_related("specialist").occupying()
    ]
    if not may_confirm:
        for appointment in appointments:
            appointment["confirm_url"] = appointment["offer_url"] = ""
    can_schedule = request.user.has_perm("bookings.add_appointment") and obj.can_be_scheduled

    def link(other):
        return {
            "reference": other.reference,
            "url": reverse("admin:bookings_consultationrequest_change", args=[other.pk]),
            "when": local_datetime(other.created),
            "possibly_automated": other.possibly_automated,
        }

    return {
        "first_name": obj.first_name,
        "appointments": appointments,
        "repeat_of": link(obj.repeat_of) if obj.repeat_of_id else None,
        "repeats": [link(repeat) for repeat in own_requests(obj.repeats.order_by("created"), request.user)],
        "windows": [f"{date_format(day)}, {part}" for day, part in obj.preferred_windows],
        "waiting": timesince(obj.created, depth=2) if obj.status == Status.NEW else "",
        "links": contact_links(obj, ClinicProfile.load()),
        # Every message on every channel, so reception sees what did not arrive.
        "messages": list(obj.outgoing_messages.order_by("created", "pk")),
        "schedule_url": schedule_link(obj) if can_schedule else "",
        "week_url": week_link(obj) if can_schedule else "",
    }


# The CSV's columns: (heading, value of a request).
CSV_COLUMNS = [
    ("reference", lambda obj: obj.reference),
    ("created", lambda obj: timezone.localtime(obj.created).isoformat(timespec="minutes")),
    ("status", lambda obj: obj.get_status_display()),
    ("urgent", lambda obj: "yes" if obj.urgent else "no"),
    ("name", lambda obj: obj.name),
    ("email", lambda obj: obj.email),
    ("phone", lambda obj: str(obj.phone)),
    ("contact by", lambda obj: obj.contact_channels_display),
    ("discreet", lambda obj: "yes" if obj.discreet else "no"),
    ("age", lambda obj: obj.get_who_for_display()),
    ("help with", lambda obj: obj.concern_display),
    ("message", lambda obj: obj.message),
    ("mode", lambda obj: obj.get_mode_display()),
    (
        "preferred specialist",
        lambda obj: obj.preferred_specialist.name if obj.preferred_specialist_id else "No preference",
    ),
    (
        "preferred times",
        lambda obj: "; ".join(f"{day:%Y-%m-%d} {part}" for day, part in obj.preferred_windows),
    ),
    ("spoken_language", lambda obj: obj.get_spoken_language_display()),
    ("assigned to", lambda obj: obj.assigned_to.get_username() if obj.assigned_to_id else ""),
    ("source article", lambda obj: obj.source_article.title if obj.source_article_id else ""),
]


# Against CSV injection (OWASP): a ' before = + - @ tab or CR at the start of a
# value or after a separator (, ; | line break); a phone number stays as it is.
FORMULA_START = re.compile(r"(^|[,;|\t\r\n])(?=\s*(?:[=@\-\t\r]|\+(?!\d+\Z)))")


def _csv_safe(value):
    return FORMULA_START.sub(r"\1'", str(value))
