"""Booking and moving an appointment go through their own admin pages, which
call bookings.services; the appointment's own page is a read-only record."""

from datetime import date, datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.formats import local_datetime
from clinic.models import ClinicProfile, Mode, Specialist

from .. import board, frontdesk, lifecycle, rooms, services, sheet, takings
from ..access import own_appointments, own_requests, sees_only_own
from ..caseload import caseload
from ..models import Appointment, ConsultationRequest, Payment, Series, window_start
from ..receipts import receipt_context
from .visibility import VisibleOnlyAdmin


def _model_field(name, **kwargs):
    # Labels and help texts come from the model.
    return Appointment._meta.get_field(name).formfield(**kwargs)


class AppointmentForm(forms.Form):
    specialist = _model_field("specialist", queryset=Specialist.objects.active())
    start = _model_field("start", form_class=forms.SplitDateTimeField, widget=widgets.AdminSplitDateTime)
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
    mode = _model_field("mode")
    location = _model_field("location")
    video_link = _model_field("video_link", assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin's date and time boxes have no labels for screen readers.
        for widget, label in zip(
            self.fields["start"].widget.widgets, ["Start date", "Start time"], strict=True
        ):
            widget.attrs["aria-label"] = label

    def service_options(self):
        """The form's fields as the service function's keyword arguments."""
        options = {name: self.cleaned_data[name] for name in self.fields if name != "override_working_hours"}
        options["override_hours"] = self.cleaned_data["override_working_hours"]
        if "duration" in options:
            options["duration"] = timedelta(minutes=options["duration"])
        return options

    def add_service_error(self, error):
        """The service's errors beside the fields they are about."""
        for field, errors in error.update_error_dict({}).items():
            self.add_error(field if field in self.fields else None, errors)


class SeriesForm(AppointmentForm):
    """Weekly or fortnightly sessions: the rule, then each date checked."""

    interval_weeks = forms.TypedChoiceField(
        label="Repeat", choices=Series.INTERVALS, coerce=int, initial=1, widget=forms.RadioSelect
    )
    count = forms.IntegerField(
        label="Number of sessions", min_value=2, max_value=52, initial=8, required=False
    )
    until = forms.DateField(
        label="Or until", required=False, widget=widgets.AdminDateWidget, help_text="Instead of a number."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["override_working_hours", "location", "video_link"]:
            del self.fields[name]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("count") and not cleaned.get("until"):
            self.add_error("count", "Give a number of sessions, or a last date.")
        return cleaned

    def plan(self):
        data = self.cleaned_data
        return services.plan_series(
            data["specialist"],
            first_start=data["start"],
            duration=timedelta(minutes=data["duration"]),
            mode=data["mode"],
            interval_weeks=data["interval_weeks"],
            count=data["count"],
            until=data["until"],
        )


class OfferTimeForm(AppointmentForm):
    """Another time for a visitor's held appointment: it moves there and is confirmed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["duration", "mode", "location", "video_link"]:
            del self.fields[name]


@admin.register(Appointment)
class AppointmentAdmin(VisibleOnlyAdmin):
    class Media:
        css = {"all": ["bookings/admin.css"]}

    list_display = ["consultation", "specialist", "start", "end", "mode", "status"]
    list_filter = ["status", "mode", "specialist"]
    list_select_related = ["consultation", "specialist"]
    date_hierarchy = "start"
    fieldsets = [
        (None, {"fields": ["consultation", "specialist", "start", "end", "mode", "next"]}),
        ("Place", {"fields": ["location", "room"]}),
        ("Status", {"fields": ["status", "sequence", "cancellation_reason"]}),
    ]
    # India's Telemedicine Practice Guidelines: who the clinician should see on the call.
    identity_fieldset = ("At the start of the call", {"fields": ["visitor", "identity_checked"]})
    # The page and its history entries are records: nothing on them is a form field
    # but the identity check of a video or phone consultation.
    readonly_fields = [*flatten_fieldsets(fieldsets), "visitor"]
    actions = ["cancel_appointments", "cancel_this_and_later", "mark_completed", "mark_no_show"]

    def get_queryset(self, request):
        return own_appointments(super().get_queryset(request), request.user)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("week/", view(self.week_view), name="bookings_appointment_week"),
            path("caseload/", view(self.caseload_view), name="bookings_appointment_caseload"),
            path("today/", view(self.today_view), name="bookings_appointment_today"),
            path("takings/", view(self.takings_view), name="bookings_appointment_takings"),
            path("<int:pk>/desk/", view(self.desk_view), name="bookings_appointment_desk"),
            path("receipt/<int:payment>/", view(self.receipt_view), name="bookings_payment_receipt"),
            path(
                "receipt/<int:payment>/email/", view(self.email_receipt_view), name="bookings_payment_email"
            ),
            path(
                "schedule/<int:request_id>/", view(self.schedule_view), name="bookings_appointment_schedule"
            ),
            path("<int:pk>/reschedule/", view(self.reschedule_view), name="bookings_appointment_reschedule"),
            path("<int:pk>/confirm/", view(self.confirm_view), name="bookings_appointment_confirm"),
            path("<int:pk>/offer/", view(self.offer_view), name="bookings_appointment_offer"),
            path("<int:pk>/join/", view(self.join_view), name="bookings_appointment_join"),
            path("series/<int:request_id>/", view(self.series_view), name="bookings_appointment_series"),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        # Appointments are booked from a request, through schedule_view.
        return False

    def has_change_permission(self, request, obj=None):
        # The page of an appointment is a record (changes go through reschedule_view),
        # but for the clinician's identity check at the start of a remote consultation.
        if obj is None:
            return super().has_change_permission(request)
        remote = obj.is_confirmed and obj.mode != Mode.IN_CLINIC
        return remote and request.user.has_perm("bookings.check_identity")

    def get_fieldsets(self, request, obj=None):
        main, *rest = self.fieldsets
        if not request.user.has_perm("bookings.change_appointment"):
            # Clinicians read; rescheduling is reception's.
            main = (None, {"fields": [name for name in main[1]["fields"] if name != "next"]})
        if obj is not None and obj.mode != Mode.IN_CLINIC:
            rest = [self.identity_fieldset, *rest]
        return [main, *rest]

    def get_readonly_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.readonly_fields
        return [*self.readonly_fields, "identity_checked"]

    def save_model(self, request, obj, form, change):
        services.record_identity_check(obj, checked=obj.identity_checked, user=request.user)

    @admin.display(description="video room or phone")
    def room(self, obj):
        if obj.mode == Mode.PHONE:
            phone = obj.consultation.phone
            return format_html(
                'Call the visitor on <a href="tel:{}">{}</a>', phone.as_e164, phone.as_national
            )
        if obj.mode != Mode.VIDEO or not obj.video_link:
            return "—"
        url = reverse("admin:bookings_appointment_join", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">Open the video room</a>', url)

    @admin.display(description="who to expect")
    def visitor(self, obj):
        consultation = obj.consultation
        return format_html(
            "{} · {} · {}",
            consultation.name or "(erased)",
            consultation.get_who_for_display(),
            consultation.phone.as_national if consultation.phone else "no phone",
        )

    def join_view(self, request, pk):
        """The clinician into the video room, as its moderator, in one click."""
        appointment = get_object_or_404(self.get_queryset(request).select_related("specialist"), pk=pk)
        if not (appointment.is_confirmed and appointment.video_link):
            raise Http404("This appointment has no video room.")
        return redirect(rooms.participant_link(appointment, moderator=True, name=appointment.specialist.name))

    @admin.display(description="next steps")
    def next(self, obj):
        links = []
        if obj.is_confirmed:
            url = reverse("admin:bookings_appointment_reschedule", args=[obj.pk])
            links.append(format_html('<a href="{}">Reschedule or change the details</a>', url))
        if obj.status in lifecycle.OCCUPYING and obj.consultation.can_be_scheduled:
            links.extend(follow_up_links(obj))
        return format_html_join(" · ", "{}", ((link,) for link in links)) if links else "—"

    def week_view(self, request):
        """The schedule: a day or a week, one column per specialist, and the
        requests waiting for a time beside it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = chosen_day(request.GET)
        by_day = request.GET.get("view") == "day"
        first = day if by_day else board.week_start(day)
        length = 1 if by_day else 7
        specialists = visible_specialists(request)
        may_book = request.user.has_perm("bookings.add_appointment")
        chosen = chosen_hold = None
        if may_book and request.GET.get("request", "").isdigit():
            chosen = visible_requests(request).filter(pk=request.GET["request"]).first()
            chosen_hold = chosen.appointments.held().first() if chosen else None
            # A free time is for a request that can be scheduled, or offered instead of its hold.
            chosen = chosen if chosen is not None and (chosen_hold or chosen.can_be_scheduled) else None

        def page(**changes):
            query = {"date": first.isoformat(), "view": "day" if by_day else "week"}
            if chosen:
                query["request"] = chosen.pk
            query.update(changes)
            return "?" + urlencode({k: v for k, v in query.items() if v is not None})

        context = {
            **self.admin_site.each_context(request),
            "title": f"Schedule: {'day' if by_day else 'week'} of {date_format(first, 'DATE_FORMAT')}",
            "opts": self.opts,
            "board": board.build_board(first, length, specialists=specialists),
            "specialists": list(specialists),
            "by_day": by_day,
            "chosen": chosen,
            "chosen_first_name": chosen.first_name if chosen else "",
            # A free time for a request with a hold is offered instead of the held one.
            "schedule_url": (
                reverse("admin:bookings_appointment_offer", args=[chosen_hold.pk])
                if chosen_hold
                else schedule_link(chosen)
                if chosen
                else ""
            ),
            "chosen_hold": chosen_hold,
            "may_confirm": request.user.has_perm("bookings.change_appointment"),
            "here": request.get_full_path(),
            "waiting": board.waiting_requests() if may_book else [],
            "nav": {
                "previous": page(date=(first - timedelta(days=length)).isoformat()),
                "next": page(date=(first + timedelta(days=length)).isoformat()),
                "today": page(date=timezone.localdate().isoformat()),
                "week": page(view="week"),
                "day": page(
                    view="day", date=(day if by_day else max(first, timezone.localdate())).isoformat()
                ),
                "clear": page(request=None),
            },
            "choose_url": page(request=""),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/bookings/appointment/week.html", context)

    def caseload_view(self, request):
        """A clinician's open courses of care: their own; reception chooses whose."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        specialists = visible_specialists(request)
        chosen = request.GET.get("specialist", "")
        specialist = (
            specialists.filter(pk=chosen).first() if chosen.isdigit() else None
        ) or specialists.first()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Caseload of {specialist}" if specialist else "Caseload",
            "opts": self.opts,
            "specialist": specialist,
            "specialists": list(specialists) if not sees_only_own(request.user) else [],
            "courses": caseload(specialist) if specialist else [],
        }
        return TemplateResponse(request, "admin/bookings/appointment/caseload.html", context)

    def today_view(self, request):
        """Today's sheet (or another day's): each specialist's appointments in time
        order, with arrivals, fees and payments; prints on A4."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        day = chosen_day(request.GET)
        specialists = visible_specialists(request)
        chosen = request.GET.get("specialist", "")
        shown = specialists.filter(pk=chosen) if chosen.isdigit() else specialists
        context = {
            **self.admin_site.each_context(request),
            "title": f"Day sheet: {date_format(day, 'l j F Y')}",
            "opts": self.opts,
            "day": day,
            "previous": (day - timedelta(days=1)).isoformat(),
            "next": (day + timedelta(days=1)).isoformat(),
            "specialists": list(specialists),
            "chosen": int(chosen) if chosen.isdigit() else None,
            "sheet": sheet.day_sheet(day, shown, ClinicProfile.load().late_fee),
            "may_record": request.user.has_perm("bookings.change_appointment"),
            "methods": Payment.Method.choices,
            "here": request.get_full_path(),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/bookings/appointment/today.html", context)

    def takings_view(self, request):
        """The owner's view: takings by day and by specialist, what is unpaid,
        the no-shows; this month unless ?first=&last= say otherwise; ?format=csv."""
        if not request.user.has_perm("bookings.view_payment"):
            raise PermissionDenied
        today = timezone.localdate()
        try:
            first = date.fromisoformat(request.GET.get("first", ""))
            last = date.fromisoformat(request.GET.get("last", ""))
        except ValueError:
            first, last = today.replace(day=1), today
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="payments-{first}-to-{last}.csv"'
            return takings.write_csv(response, first, last)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Takings from {date_format(first, 'j F Y')} to {date_format(last, 'j F Y')}",
            "opts": self.opts,
            "first": first,
            "last": last,
            **takings.summary(first, last, ClinicProfile.load().late_fee),
        }
        return TemplateResponse(request, "admin/bookings/appointment/takings.html", context)

    def desk_view(self, request, pk):
        """The sheet's buttons (POST): arrived, with the clinician, done, or a payment."""
        appointment = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("bookings.change_appointment"):
            raise PermissionDenied
        step = request.POST.get("step", "")
        try:
            if step == "payment":
                payment = frontdesk.record_payment(
                    appointment,
                    amount=int(request.POST.get("amount") or 0),
                    method=request.POST.get("method", ""),
                    utr=request.POST.get("utr", ""),
                    note=request.POST.get("note", ""),
                    user=request.user,
                )
                self.message_user(request, f"Payment recorded: receipt {payment.receipt}.", messages.SUCCESS)
            elif step in ("arrived", "seen", "done"):
                frontdesk.mark(appointment, step, user=request.user)
        except (ValidationError, ValueError) as error:
            text = (
                " ".join(error.messages)
                if isinstance(error, ValidationError)
                else "Give the amount in rupees."
            )
            self.message_user(request, text, messages.ERROR)
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("admin:bookings_appointment_today")

    def receipt_view(self, request, payment):
        payment = get_object_or_404(
            Payment.objects.filter(appointment__in=self.get_queryset(request)).select_related(
                "appointment__consultation", "appointment__specialist"
            ),
            pk=payment,
        )
        context = {
            **receipt_context(payment),
            "email_url": reverse("admin:bookings_payment_email", args=[payment.pk]),
            "email_label": "Email it to the visitor",
        }
        # In the visitor's language, as the copy they print from their own page.
        with translation.override(payment.appointment.consultation.page_language):
            return TemplateResponse(request, "bookings/receipt.html", context).render()

    def email_receipt_view(self, request, payment):
        payment = get_object_or_404(
            Payment.objects.filter(appointment__in=self.get_queryset(request)), pk=payment
        )
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            frontdesk.email_receipt(payment)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request, f"Receipt {payment.receipt} is being emailed to the visitor.", messages.SUCCESS
            )
        return redirect("admin:bookings_payment_receipt", payment.pk)

    def _held(self, request, pk):
        appointment = get_object_or_404(
            self.get_queryset(request).select_related("consultation", "specialist"), pk=pk
        )
        if not (super().has_change_permission(request, appointment) and appointment.is_held):
            raise PermissionDenied
        return appointment

    def confirm_view(self, request, pk):
        """One click: the visitor's chosen time is confirmed and they are emailed."""
        appointment = self._held(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            services.confirm_hold(appointment, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Confirmed {appointment.consultation} on {local_datetime(appointment.start)} with "
                f"{appointment.specialist}. The visitor is being sent the confirmation (email, and the texts they chose).",
                messages.SUCCESS,
            )
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("admin:bookings_consultationrequest_change", appointment.consultation_id)

    def offer_view(self, request, pk):
        appointment = self._held(request, pk)
        initial = schedule_initial(appointment.consultation, request.GET)
        if not request.GET.get("start"):
            initial["start"] = timezone.localtime(appointment.start)
        if not request.GET.get("specialist"):
            initial["specialist"] = appointment.specialist_id
        form = OfferTimeForm(request.POST or None, initial=initial)
        return self._appointment_page(
            request,
            form,
            appointment.consultation,
            partial(services.offer_time, appointment),
            title=f"Offer another time to {appointment.consultation}",
            done="The appointment “{}” was moved and confirmed; the visitor is being sent the new time.",
            intro=(
                f"The visitor chose {local_datetime(appointment.start)} with {appointment.specialist}. "
                "The time below replaces it and is confirmed at once; the visitor is emailed the new time."
            ),
            submit="Offer this time and confirm",
        )

    def _schedulable(self, request, request_id):
        """(The request to book for, None), or (None, the way back to its page saying why not)."""
        consultation = get_object_or_404(visible_requests(request), pk=request_id)
        if not request.user.has_perm("bookings.add_appointment"):
            raise PermissionDenied
        problem = consultation.why_not_schedulable()
        if problem:
            self.message_user(request, problem, messages.WARNING)
            return None, redirect("admin:bookings_consultationrequest_change", consultation.pk)
        return consultation, None

    def schedule_view(self, request, request_id):
        consultation, refused = self._schedulable(request, request_id)
        if refused:
            return refused
        form = AppointmentForm(request.POST or None, initial=schedule_initial(consultation, request.GET))
        return self._appointment_page(
            request,
            form,
            consultation,
            partial(services.schedule_appointment, consultation),
            title=f"Schedule an appointment for {consultation}",
            done="The appointment “{}” was added successfully.",
        )

    def series_view(self, request, request_id):
        """Weekly sessions: the rule gives the dates, each is checked and shown
        (a clash with why and the nearest open time); staff choose for each
        (the date, the alternative, or leave it out), then book them all."""
        consultation, refused = self._schedulable(request, request_id)
        if refused:
            return refused
        form = SeriesForm(request.POST or None, initial=schedule_initial(consultation, request.GET))
        planned = form.plan() if form.is_valid() else []
        if planned and "book" in request.POST:
            starts = chosen_starts(planned, request.POST)
            try:
                sessions = services.book_series(
                    consultation,
                    specialist=form.cleaned_data["specialist"],
                    starts=starts,
                    duration=timedelta(minutes=form.cleaned_data["duration"]),
                    mode=form.cleaned_data["mode"],
                    interval_weeks=form.cleaned_data["interval_weeks"],
                    user=request.user,
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{len(sessions)} sessions booked for {consultation}; the visitor is being sent the dates.",
                    messages.SUCCESS,
                )
                return redirect("admin:bookings_consultationrequest_change", consultation.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Weekly sessions for {consultation}",
            "opts": self.opts,
            "consultation": consultation,
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "errors": helpers.AdminErrorList(form, []),
            "planned": planned,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/bookings/appointment/series.html", context)

    def reschedule_view(self, request, pk):
        appointment = get_object_or_404(self.get_queryset(request).select_related("consultation"), pk=pk)
        if not (super().has_change_permission(request, appointment) and appointment.is_confirmed):
            raise PermissionDenied
        initial = {
            "specialist": appointment.specialist_id,
            "start": timezone.localtime(appointment.start),
            "duration": int(appointment.duration.total_seconds() // 60),
            "mode": appointment.mode,
            "location": appointment.location,
            "video_link": appointment.video_link,
        }
        form = AppointmentForm(request.POST or None, initial=initial)
        if form.is_valid() and not form.has_changed():
            # Saving an unchanged appointment must not email the visitor again.
            self.message_user(request, f"The appointment “{appointment}” was not changed.", messages.SUCCESS)
            return redirect("admin:bookings_appointment_changelist")
        return self._appointment_page(
            request,
            form,
            appointment.consultation,
            partial(services.reschedule_appointment, appointment),
            title=f"Reschedule the appointment for {appointment.consultation}",
            done="The appointment “{}” was changed successfully.",
        )

    def _appointment_page(self, request, form, consultation, book, *, title, done, intro="", submit="Save"):
        """The form; once valid, `book` (a service), its errors beside the fields."""
        if form.is_valid():
            try:
                appointment = book(**form.service_options(), user=request.user)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                self.message_user(request, done.format(appointment), messages.SUCCESS)
                # Back to the request, where reception was working.
                return redirect("admin:bookings_consultationrequest_change", consultation.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit": submit,
            "opts": self.opts,
            "consultation": consultation,
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "errors": helpers.AdminErrorList(form, []),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/bookings/appointment/schedule.html", context)

    @admin.action(description="Cancel selected appointments (the visitor is emailed)", permissions=["change"])
    def cancel_appointments(self, request, queryset):
        count = sum(services.cancel_appointment(a, user=request.user) for a in queryset.current())
        self.message_user(request, f"{count} appointment(s) cancelled.", messages.SUCCESS)

    @admin.action(
        description="Cancel selected sessions and the later ones of their series (the visitor is emailed)",
        permissions=["change"],
    )
    def cancel_this_and_later(self, request, queryset):
        count = sum(services.cancel_this_and_later(a, user=request.user) for a in queryset.current())
        self.message_user(request, f"{count} appointment(s) cancelled.", messages.SUCCESS)

    def _close(self, request, queryset, status):
        count = 0
        for appointment in queryset.confirmed():
            try:
                count += services.close_appointment(appointment, status, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
        self.message_user(request, f"{count} appointment(s) marked {status.label.lower()}.", messages.SUCCESS)

    @admin.action(description="Mark completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._close(request, queryset, Appointment.Status.COMPLETED)

    @admin.action(description="Mark no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._close(request, queryset, Appointment.Status.NO_SHOW)


def chosen_starts(planned, data):
    """The times staff chose on the checked dates: each date as the rule gives
    it (when free), its alternative, or none (left out)."""
    starts = []
    for number, session in enumerate(planned):
        choice = data.get(f"session-{number}", "date" if session.problem is None else "")
        if choice == "date" and session.problem is None:
            starts.append(session.start)
        elif choice == "alternative" and session.alternative is not None:
            starts.append(session.alternative.start)
    return starts


def visible_specialists(request):
    """Every active specialist; for a clinician, themselves."""
    specialists = Specialist.objects.active()
    return specialists.filter(user=request.user) if sees_only_own(request.user) else specialists


def chosen_day(query):
    """The ?date= of the page, else today."""
    try:
        return date.fromisoformat(query.get("date", ""))
    except ValueError:
        return timezone.localdate()


def visible_requests(request):
    return own_requests(ConsultationRequest.objects.all(), request.user)


def schedule_initial(consultation, query):
    """The form filled in: the time chosen on the schedule page (?start=&specialist=),
    else the visitor's first preferred window, with their mode and specialist."""
    initial = {"mode": consultation.mode, "specialist": consultation.preferred_specialist_id}
    start = None
    if query.get("start"):
        try:
            start = timezone.make_aware(datetime.fromisoformat(query["start"]))
        except (ValueError, TypeError):
            start = None
    if query.get("specialist", "").isdigit():
        initial["specialist"] = int(query["specialist"])
    if start is None and consultation.window1_date and consultation.window1_part:
        start = window_start(consultation.window1_date, consultation.window1_part)
    if start is None or start < timezone.now():
        start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    initial["start"] = timezone.localtime(start)
    specialist = (
        Specialist.objects.filter(pk=initial["specialist"]).first() if initial["specialist"] else None
    )
    if specialist is not None:
        initial["duration"] = int(specialist.length_for(consultation.mode).total_seconds() // 60)
    return initial


def follow_up_links(appointment):
    """The next session: same weekday and time next week with the same
    specialist, or any open time of theirs on the schedule."""
    next_week = timezone.localtime(appointment.start) + timedelta(days=7)
    query = urlencode(
        {"start": next_week.replace(tzinfo=None).isoformat(), "specialist": appointment.specialist_id}
    )
    schedule = f"{schedule_link(appointment.consultation)}?{query}"
    week = f"{week_link(appointment.consultation)}&date={next_week.date().isoformat()}"
    return [
        format_html(
            '<a href="{}">Book the next session ({})</a>', schedule, date_format(next_week, "D j M, H:i")
        ),
        format_html('<a href="{}">Choose another time on the schedule</a>', week),
        format_html(
            '<a href="{}">Book weekly sessions from then</a>',
            f"{series_link(appointment.consultation)}?{query}",
        ),
    ]


def week_link(consultation):
    """The schedule page, choosing a time for this request."""
    return reverse("admin:bookings_appointment_week") + f"?request={consultation.pk}"


def schedule_link(consultation):
    return reverse("admin:bookings_appointment_schedule", args=[consultation.pk])


def series_link(consultation):
    return reverse("admin:bookings_appointment_series", args=[consultation.pk])


def appointments_summary(consultation):
    """For the request's admin page: its appointments, and a link to schedule one."""
    appointments = list(consultation.appointments.select_related("specialist"))
    items = [
        format_html(
            '<li><a href="{}">{}</a>: {}, {}</li>',
            reverse("admin:bookings_appointment_change", args=[appointment.pk]),
            local_datetime(appointment.start),
            appointment.specialist,
            appointment.get_status_display().lower(),
        )
        for appointment in appointments
    ]
    if consultation.can_be_scheduled:
        items.append(
            format_html('<li><a href="{}">Schedule an appointment</a></li>', schedule_link(consultation))
        )
        items.append(format_html('<li><a href="{}">Book weekly sessions</a></li>', series_link(consultation)))
    if not items:
        return "—"
    return format_html(
        '<ul class="appointments-summary">{}</ul>', format_html_join("", "{}", ((i,) for i in items))
    )
