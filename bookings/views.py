"""The visitor's pages: the booking form, its thank-you page, and the pages the
signed link in every email opens (no login: the link is the key). None may be
stored by a browser or a proxy."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View
from django_ratelimit.core import is_ratelimited

from clinic.models import Specialist
from clinic.net import client_ip
from messaging.kinds import TEXT_CHANNELS

from . import availability, frontdesk, rooms, services, tokens
from .forms import SUBMISSION_SALT, WEEKDAYS, ConsultationRequestForm, OpenTimesQuery, clean_slug
from .models import Appointment, ConsultationRequest, DayPart, Mode, Payment, WaitlistOffer
from .models.requests import CONTACT_CHANNELS, Language, SafeNow
from .receipts import receipt_context

Status = ConsultationRequest.Status
THANKS_SALT = "bookings.thanks"
# Long enough to come back to the tab; short enough that an old link shows nothing.
THANKS_MAX_AGE = 6 * 60 * 60


def thanks_token(consultation):
    return signing.dumps(consultation.submission_key, salt=THANKS_SALT)


def per_address_limit(request, group, rate):
    """Counts this POST against the visitor address's share; True once it is used up."""
    return is_ratelimited(
        request, group=group, key=lambda _group, req: client_ip(req), rate=rate, method="POST", increment=True
    )


def form_visit_key(request):
    """The submission key this browser was given for this visit of the form, if still fresh."""
    value = request.COOKIES.get(FORM_COOKIE, "")
    try:
        signing.TimestampSigner(salt=SUBMISSION_SALT).unsign(
            value, max_age=timedelta(hours=settings.BOOKING_FORM_MAX_AGE_HOURS)
        )
    except signing.BadSignature:
        return None
    return value


def open_times_context(mode, specialist=None, chosen="", *, all_days=False):
    """What the open-times include shows: [(date, [Slot, ...]), ...], first
    available first; the first BOOKING_DAYS_SHOWN days unless all_days (or the
    chosen time is later)."""
    days = availability.open_times(mode, specialist)
    chosen_day = next((day for day, slots in days for slot in slots if slot.key == chosen), None)
    first = days[: settings.BOOKING_DAYS_SHOWN]
    shown = days if all_days or (chosen_day and chosen_day > first[-1][0]) else first
    return {
        "open_times": shown,
        "later_days": len(days) - len(shown),
        "later_from": len(first) + 1 if len(shown) > len(first) else None,
        "times_mode": Mode(mode),
        "times_specialist": specialist,
        "specialist_fee": specialist.fee_for(mode) if specialist else None,
        "times_not_offered": specialist is not None and not specialist.offers(mode),
        "open_days": settings.BOOKING_OPEN_DAYS,
        "chosen_slot": chosen,
        "chosen_day": chosen_day,
    }


def chosen_times(form):
    """The mode and specialist the form currently shows (typed, posted or prefilled)."""
    offered = [value for value, _label in form.fields["mode"].choices]
    mode = form["mode"].value()
    if mode not in offered:
        mode = offered[0]
    slug = clean_slug(form["preferred_specialist"].value())
    specialist = Specialist.objects.bookable().filter(slug=slug).first() if slug else None
    return mode, specialist


# The form's submission key, kept by the browser for one visit of the form: Back
# (which fetches the page again) and Send find the request already made.
FORM_COOKIE = "booking_form"


@method_decorator(never_cache, name="dispatch")
class BookView(FormView):
    template_name = "bookings/book.html"
    form_class = ConsultationRequestForm

    def get(self, request, *args, **kwargs):
        self.visit_key = None if "another" in request.GET else form_visit_key(request)
        response = super().get(request, *args, **kwargs)
        key = self.visit_key or response.context_data["form"].initial["submission_key"]
        response.set_cookie(
            FORM_COOKIE,
            key,
            max_age=settings.BOOKING_FORM_MAX_AGE_HOURS * 3600,
            path="/",
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
        return response

    def get_initial(self):
        initial = ConsultationRequestForm.initial_from_query(self.request.GET)
        if getattr(self, "visit_key", None):
            initial["submission_key"] = self.visit_key
        page_language = translation.get_language()
        if page_language != settings.LANGUAGE_CODE and page_language in Language.values:
            # Someone booking on the Hindi pages likely wants to talk in Hindi.
            initial.setdefault("spoken_language", page_language)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        mode, specialist = chosen_times(form)
        chosen = form["slot"].value() or ""
        all_days = self.request.POST.get("show_times") == "all"
        context.update(
            open_times_context(
                mode, specialist, chosen if isinstance(chosen, str) else "", all_days=all_days
            ),
            cutoff_hours=settings.BOOKING_CHANGE_CUTOFF_HOURS,
        )
        if getattr(self, "visit_key", None):
            # This visit of the form has sent a request already: say so (no details:
            # the browser may be shared), and offer it, or a new form.
            sent = ConsultationRequest.objects.filter(
                submission_key=signing.TimestampSigner(salt=SUBMISSION_SALT).unsign(self.visit_key)
            ).first()
            if sent is not None:
                context["already_sent_url"] = reverse("bookings:thanks", args=[thanks_token(sent)])
        return context

    def post(self, request, *args, **kwargs):
        if "show_times" in request.POST:
            # The step without JavaScript: the same form, as typed, with the open
            # times for the mode and specialist chosen; nothing is checked or saved.
            form = ConsultationRequestForm(initial=ConsultationRequestForm.initial_from_data(request.POST))
            return self.render_to_response(self.get_context_data(form=form))
        # Every POST counts, per visitor address; someone who says they are not
        # safe right now is never turned away (what they may hold is limited
        # in form_valid and services.submit_request).
        limited = request.POST.get("safe_now") != SafeNow.NO and per_address_limit(
            request, "bookings:book", settings.BOOKING_RATE_LIMIT
        )
        if limited:
            form = self.get_form()
            form.is_valid()  # keep what they typed, with any field messages
            form.add_error(
                None,
                _(
                    "We have received several requests from your connection in a short time. "
                    "Please try again in an hour, or call us; nothing you typed has been lost."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        slot = form.cleaned_data["slot"]
        address_may_hold = slot is None or not per_address_limit(
            self.request, "bookings:hold", settings.BOOKING_HOLD_RATE_LIMIT
        )
        try:
            consultation, created = services.submit_request(
                form.save(commit=False),
                automated=form.looks_automated,
                slot=slot,
                address_may_hold=address_may_hold,
            )
        except services.TimeTaken as taken:
            # Nothing was saved: the form as typed, the message, and the times open now.
            form.add_error("slot", taken)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        # A bot sees the same page as a person. The signed link carries the
        # random submission key, not the reference.
        url = reverse("bookings:thanks", args=[thanks_token(consultation)])
        return redirect(url if created else f"{url}?again=1")


@method_decorator(never_cache, name="dispatch")
class OpenTimesView(View):
    """The open-times part of the form alone, for the form's script to swap in
    when the mode or the specialist changes (the page works without it). POST,
    so whom a visitor looks at stays out of URLs and access logs."""

    def post(self, request):
        if per_address_limit(request, "bookings:times", settings.BOOKING_TIMES_RATE_LIMIT):
            # The form's script says the times could not be updated; the page still works.
            return render(request, "bookings/includes/open_times.html", {"times_error": True}, status=429)
        query = OpenTimesQuery(request.POST)
        if not query.is_valid():
            return render(request, "bookings/includes/open_times.html", {"times_error": True}, status=400)
        data = query.cleaned_data
        context = open_times_context(
            data["mode"], data["specialist"], data["slot"], all_days=data["all_days"]
        )
        return render(request, "bookings/includes/open_times.html", context)


@method_decorator(never_cache, name="dispatch")
class ThanksView(TemplateView):
    template_name = "bookings/thanks.html"

    def get(self, request, *args, **kwargs):
        try:
            key = signing.loads(kwargs["token"], salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
        except signing.BadSignature:
            key = None
        consultation = ConsultationRequest.objects.filter(submission_key=key, erased_at__isnull=True).first()
        if consultation is None:
            return self.render_to_response({"expired": True}, status=404)
        appointment = consultation.appointments.current().select_related("specialist").first()
        context = {
            "consultation": consultation,
            "appointment": appointment,
            "book_url": reverse("bookings:book") + "?another=1",
            "again": "again" in request.GET,
        }
        if appointment is not None:
            context["fee"] = appointment.specialist.fee_for(appointment.mode)
        return self.render_to_response(context)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Would you like to tell us why? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Please do not include medical details."),
    )


class WaitlistForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days that suit you"),
        choices=[(n, WEEKDAYS[n]) for n in range(7)],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Please choose at least one day.")},
    )
    day_parts = forms.MultipleChoiceField(
        label=gettext_lazy("Times of day that suit you"),
        choices=DayPart.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Please choose at least one time of day.")},
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my details will be erased, and any appointment will be cancelled."),
        error_messages={"required": gettext_lazy("Please tick the box to confirm.")},
    )


class PrivatePageMixin:
    """Never stored by browsers or proxies, never indexed."""

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        # The link is the key: never send it to another site as a Referer.
        response["Referrer-Policy"] = "same-origin"
        return response


class TokenMixin(PrivatePageMixin):
    def dispatch(self, request, *args, **kwargs):
        self.consultation = tokens.find_request(kwargs["token"])
        return super().dispatch(request, *args, **kwargs)

    def refuse(self):
        """A response instead of the page (the link does not open a request), or None."""
        if self.consultation is None:
            return link_not_valid(self.request)
        return None

    def get(self, request, *args, **kwargs):
        return self.refuse() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refuse() or super().post(request, *args, **kwargs)

    def back_to_status(self):
        return redirect("bookings:status", token=self.kwargs["token"])

    def get_context_data(self, **kwargs):
        kwargs.update(consultation=self.consultation, token=self.kwargs["token"])
        return super().get_context_data(**kwargs)


def link_not_valid(request):
    return render(request, "bookings/status/invalid.html", status=404)


def current_appointment(appointments, session=None):
    """The held or confirmed appointment among a request's appointments (the
    session named, else the next one), or None."""
    current = [a for a in appointments if a.is_current]
    if session is not None:
        return next((a for a in current if a.pk == session), None)
    return current[0] if current else None


def appointment_context(appointment):
    if appointment is None:
        return {"appointment": None}
    fee = appointment.fee if appointment.fee is not None else appointment.specialist.fee_for(appointment.mode)
    return {
        "appointment": appointment,
        "fee": fee,
        "changeable": appointment.changeable_by_visitor,
        "cutoff_hours": settings.BOOKING_CHANGE_CUTOFF_HOURS,
        "join": join_context(appointment),
    }


def join_context(appointment):
    """The Join button of a confirmed video appointment: usable in its window
    (bookings.rooms.join_window), else saying when it opens or that it ended."""
    if not (appointment.is_confirmed and appointment.mode == Mode.VIDEO and appointment.video_link):
        return None
    opens, closes = rooms.join_window(appointment)
    now = timezone.now()
    return {
        "opens": opens,
        "open": opens <= now < closes,
        "ended": closes <= now,
        "link": rooms.participant_link(appointment),
    }


def status_context(consultation):
    appointments = list(consultation.appointments.select_related("specialist"))
    appointment = current_appointment(appointments)
    context = appointment_context(appointment)
    context.update(
        # A course of care: the sessions after the next one, each moved or cancelled on its own.
        later_sessions=[a for a in appointments if a.is_current and a is not appointment],
        past_appointments=[a for a in appointments if not a.is_current],
        can_move=appointment is not None and context["changeable"],
        can_cancel=consultation.can_transition_to(Status.CANCELLED)
        and (appointment is None or context["changeable"]),
        texts=[
            (name, CONTACT_CHANNELS[name]) for name in TEXT_CHANNELS if name in consultation.contact_channels
        ],
        # The waitlist is for a request without a time still to come.
        waitlist=consultation.waitlist.waiting().first() if appointment is None else None,
        receipts=list(Payment.objects.filter(appointment__consultation=consultation)),
        may_join_waitlist=appointment is None and consultation.status in WAITING_STATUSES,
    )
    return context


class StatusView(TokenMixin, TemplateView):
    template_name = "bookings/status/detail.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **status_context(self.consultation)}


class ChangeMixin(TokenMixin):
    """Pages that change the appointment: only until the cut-off before it."""

    def refuse(self):
        refused = super().refuse()
        if refused:
            return refused
        session = self.kwargs.get("session")
        appointments = self.consultation.appointments.select_related("specialist")
        self.appointment = current_appointment(appointments, session)
        if session is not None and self.appointment is None:
            messages.info(self.request, _("This session is no longer booked."))
            return self.back_to_status()
        if self.appointment is not None and not self.appointment.changeable_by_visitor:
            return self.too_late()
        return None

    def page_url(self, name):
        """This page's sibling (move, move_confirm, cancel), for the same session."""
        if "session" in self.kwargs:
            return reverse(f"bookings:{name}_session", kwargs=self.kwargs)
        return reverse(f"bookings:{name}", kwargs={"token": self.kwargs["token"]})

    def too_late(self):
        messages.info(self.request, services.cutoff_error().message)
        return self.back_to_status()

    def get_context_data(self, **kwargs):
        urls = {name: self.page_url(name) for name in ["move", "move_confirm", "cancel"]}
        return {**super().get_context_data(**kwargs), **appointment_context(self.appointment), "urls": urls}


class MoveMixin(ChangeMixin):
    def refuse(self):
        refused = super().refuse()
        if refused is None and self.appointment is None:
            messages.info(self.request, _("There is no appointment to move."))
            return self.back_to_status()
        return refused

    def open_times(self):
        """The open times for this appointment's specialist and mode, its own
        time left out (it counts as free, so moving within it works)."""
        appointment = self.appointment
        days = availability.open_times(appointment.mode, appointment.specialist, ignore=appointment)
        days = [(day, [slot for slot in slots if slot.start != appointment.start]) for day, slots in days]
        return [(day, slots) for day, slots in days if slots]

    def chosen_slot(self, key):
        """The open slot a key names, for this appointment's specialist, or None."""
        slot = availability.find_slot(key or "", self.appointment.mode, ignore=self.appointment)
        if slot is None or slot.specialist.pk != self.appointment.specialist_id:
            return None
        return slot

    def taken(self):
        messages.warning(
            self.request,
            _("Sorry, that time is no longer available. Please choose another of the times below."),
        )
        return redirect(self.page_url("move"))


class MoveView(MoveMixin, TemplateView):
    """Step 1: the open times, as a plain form that works without JavaScript."""

    template_name = "bookings/status/move.html"

    def get_context_data(self, **kwargs):
        selected = self.request.GET.get("slot", "")
        parsed = availability.parse_slot_key(selected)
        return {
            **super().get_context_data(**kwargs),
            "days": self.open_times(),
            "selected": selected,
            "selected_day": parsed and timezone.localdate(parsed[1]),
        }


class MoveConfirmView(MoveMixin, TemplateView):
    """Step 2: "Move from X to Y?"; the POST moves it."""

    template_name = "bookings/status/move_confirm.html"

    def get(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        key = request.GET.get("slot")
        if not key:
            messages.error(request, _("Please choose one of the times."))
            return redirect(self.page_url("move"))
        slot = self.chosen_slot(key)
        if slot is None:
            return self.taken()
        return self.render_to_response(self.get_context_data(slot=slot))

    def post(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        slot = self.chosen_slot(request.POST.get("slot"))
        if slot is None:
            return self.taken()
        was_held = self.appointment.status == Appointment.Status.HELD
        try:
            services.move_by_visitor(self.appointment, slot)
        except services.TimeTaken:
            return self.taken()
        except ValidationError:
            return self.too_late()
        when = date_format(timezone.localtime(slot.start), "l j F Y, g:i A")
        if was_held:
            notice = _("Your requested time is now %(when)s. We will confirm it by email.")
        else:
            notice = _(
                "Your appointment is now on %(when)s. We have emailed you the new details for your calendar."
            )
        messages.success(request, notice % {"when": when})
        return self.back_to_status()


class CancelView(ChangeMixin, FormView):
    """A page that asks "are you sure?" (with an optional reason); the POST cancels."""

    form_class = CancelForm
    template_name = "bookings/status/cancel.html"

    def refuse(self):
        refused = super().refuse()
        if refused is None and not self.consultation.can_transition_to(Status.CANCELLED):
            messages.info(self.request, _("This request is already closed, so there is nothing to cancel."))
            return self.back_to_status()
        return refused

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        had_confirmed = self.appointment is not None and self.appointment.is_confirmed
        reason = form.cleaned_data["reason"].strip()
        # One session of a course: only that one; a lone appointment: the whole request.
        others = self.consultation.appointments.occupying()
        if self.appointment is not None:
            others = others.exclude(pk=self.appointment.pk)
        try:
            if self.appointment is not None and others.exists():
                services.cancel_session_by_visitor(self.appointment, reason)
            else:
                services.cancel_by_visitor(self.consultation, reason)
        except ValidationError:
            return self.too_late()
        if self.appointment is None:
            notice = _("Your request is cancelled.")
        elif had_confirmed:
            notice = _("Your appointment is cancelled. We have emailed you a confirmation for your calendar.")
        else:
            notice = _("Your appointment request is cancelled.")
        messages.success(self.request, notice)
        return self.back_to_status()


class WaitlistView(TokenMixin, FormView):
    """Join the waitlist (the days and times of day that suit), or leave it."""

    form_class = WaitlistForm
    template_name = "bookings/status/waitlist.html"

    def post(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        if "leave" in request.POST:
            services.leave_waitlist(self.consultation)
            messages.success(request, _("You are no longer on the waitlist."))
            return self.back_to_status()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if not may_join_waitlist(self.consultation):
            return self.back_to_status()
        services.join_waitlist(self.consultation, **form.cleaned_data)
        messages.success(
            self.request,
            _("You are on the waitlist. When a time that suits you comes free, we will tell you at once."),
        )
        return self.back_to_status()

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ClaimView(TokenMixin, TemplateView):
    """A freed time offered from the waitlist: "Take this time?", then the POST holds it."""

    template_name = "bookings/status/claim.html"

    def refuse(self):
        refused = super().refuse()
        if refused:
            return refused
        self.offer = (
            WaitlistOffer.objects.filter(pk=self.kwargs["offer"], entry__consultation=self.consultation)
            .select_related("specialist", "entry")
            .first()
        )
        if self.offer is None or not self.offer.is_open:
            messages.info(self.request, _("Sorry, this time has been taken or is no longer offered."))
            return self.back_to_status()
        return None

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "offer": self.offer}

    def post(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        try:
            services.claim_offer(self.offer)
        except services.TimeTaken:
            messages.info(
                request, _("Sorry, someone else took this time a moment ago. You stay on the waitlist.")
            )
            return self.back_to_status()
        when = date_format(timezone.localtime(self.offer.start), "l j F Y, g:i A")
        messages.success(
            request, _("The time is yours: %(when)s. We will confirm it by email.") % {"when": when}
        )
        return self.back_to_status()


WAITING_STATUSES = [Status.NEW, Status.CONTACTED]


def may_join_waitlist(consultation):
    """An open request without a time still to come."""
    return consultation.status in WAITING_STATUSES and not consultation.appointments.current().exists()


class ReceiptView(TokenMixin, TemplateView):
    """A receipt of the visitor's own, to print."""

    template_name = "bookings/receipt.html"

    def refuse(self):
        refused = super().refuse()
        if refused:
            return refused
        self.payment = (
            Payment.objects.filter(pk=self.kwargs["payment"], appointment__consultation=self.consultation)
            .select_related("appointment__specialist", "appointment__consultation")
            .first()
        )
        if self.payment is None:
            return self.back_to_status()
        return None

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **receipt_context(self.payment),
            "email_url": self.request.path,
            "email_label": _("Email me this receipt"),
        }

    def post(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        try:
            frontdesk.email_receipt(self.payment)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("We are emailing you this receipt."))
        return redirect(request.path)


class StopTextsView(TokenMixin, View):
    """The status page's "Stop WhatsApp messages" and "Stop SMS" buttons (POST)."""

    def post(self, request, *args, **kwargs):
        refused = self.refuse()
        if refused:
            return refused
        channel = kwargs["channel"]
        if channel in TEXT_CHANNELS:
            consultations = ConsultationRequest.objects.filter(pk=self.consultation.pk)
            services.stop_texts(consultations, channel, by="on their page")
            notice = _("You will get no more messages from us by %(channel)s.")
            messages.success(request, notice % {"channel": CONTACT_CHANNELS[channel]})
        return self.back_to_status()


class EraseView(TokenMixin, FormView):
    """Withdraw consent: first a page that says what will happen, then the POST."""

    form_class = EraseForm
    template_name = "bookings/status/erase.html"

    def form_valid(self, form):
        services.withdraw_consent(self.consultation)
        return redirect("bookings:erased")


class ErasedView(PrivatePageMixin, TemplateView):
    template_name = "bookings/status/erased.html"
