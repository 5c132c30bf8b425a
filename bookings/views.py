"""The visitor's pages: the booking form, its thank-you page, and the pages the
signed link in every email opens (no login: the link is the key). None may be
stored by a browser or a proxy."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View
from django_ratelimit.core import is_ratelimited

from clinic.models import Specialist
from clinic.net import client_ip

from . import availability, services, tokens
from .forms import ConsultationRequestForm, OpenTimesQuery, clean_slug
from .models import ConsultationRequest, Mode
from .models.requests import SafeNow

Status = ConsultationRequest.Status
THANKS_SALT = "bookings.thanks"
# Long enough to come back to the tab; short enough that an old link shows nothing.
THANKS_MAX_AGE = 6 * 60 * 60


def thanks_token(consultation):
    return signing.dumps(consultation.submission_key, salt=THANKS_SALT)


def open_times_context(mode, specialist=None, chosen=""):
    """What the open-times include shows: [(date, [Slot, ...]), ...], first available first."""
    days = availability.open_times(mode, specialist)
    return {
        "open_times": days,
        "times_mode": Mode(mode),
        "times_specialist": specialist,
        "specialist_fee": specialist.fee_for(mode) if specialist else None,
        "chosen_slot": chosen,
        "chosen_day": next((day for day, slots in days for slot in slots if slot.key == chosen), None),
    }


def chosen_times(form):
    """The mode and specialist the form currently shows (typed, posted or prefilled)."""
    mode = form["mode"].value()
    if mode not in Mode.values:
        mode = Mode.IN_CLINIC
    slug = clean_slug(form["preferred_specialist"].value())
    specialist = Specialist.objects.bookable().filter(slug=slug).first() if slug else None
    return mode, specialist


@method_decorator(never_cache, name="dispatch")
class BookView(FormView):
    template_name = "bookings/book.html"
    form_class = ConsultationRequestForm

    def get_initial(self):
        initial = ConsultationRequestForm.initial_from_query(self.request.GET)
        if translation.get_language() == "hi":
            initial.setdefault("language", "hi")  # someone booking in Hindi likely wants to talk in it
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        mode, specialist = chosen_times(form)
        chosen = form["slot"].value() or ""
        context.update(open_times_context(mode, specialist, chosen if isinstance(chosen, str) else ""))
        return context

    def post(self, request, *args, **kwargs):
        if "show_times" in request.POST:
            # The step without JavaScript: the same form, as typed, with the open
            # times for the mode and specialist chosen; nothing is checked or saved.
            form = ConsultationRequestForm(initial=ConsultationRequestForm.initial_from_data(request.POST))
            return self.render_to_response(self.get_context_data(form=form))
        # Every POST counts, per visitor address; someone who says they are not
        # safe right now is never turned away.
        limited = request.POST.get("safe_now") != SafeNow.NO and is_ratelimited(
            request,
            group="bookings:book",
            key=lambda _group, req: client_ip(req),
            rate=settings.BOOKING_RATE_LIMIT,
            method="POST",
            increment=True,
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
        try:
            consultation, _created = services.submit_request(
                form.save(commit=False), automated=form.looks_automated, slot=form.cleaned_data["slot"]
            )
        except services.TimeTaken as taken:
            # Nothing was saved: the form as typed, the message, and the times open now.
            form.add_error("slot", taken)
            return self.render_to_response(self.get_context_data(form=form), status=409)
        # A bot sees the same page as a person. The signed link carries the
        # random submission key, not the reference.
        return redirect("bookings:thanks", token=thanks_token(consultation))


@method_decorator(never_cache, name="dispatch")
class OpenTimesView(View):
    """The open-times part of the form alone, for the form's script to swap in
    when the mode or the specialist changes (the page works without it)."""

    def get(self, request):
        query = OpenTimesQuery(request.GET)
        if not query.is_valid():
            return render(request, "bookings/includes/open_times.html", {"times_error": True}, status=400)
        context = open_times_context(
            query.cleaned_data["mode"], query.cleaned_data["specialist"], query.cleaned_data["slot"]
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
            "book_url": reverse("bookings:book"),
        }
        if appointment is not None:
            context["fee"] = appointment.specialist.fee_for(appointment.mode)
        return self.render_to_response(context)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Would you like to tell us why? (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Please do not include medical details.",
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: my details will be erased, and any appointment will be cancelled.",
        error_messages={"required": "Please tick the box to confirm."},
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

    def get(self, request, *args, **kwargs):
        if self.consultation is None:
            return link_not_valid(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.consultation is None:
            return link_not_valid(request)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.update(consultation=self.consultation, token=self.kwargs["token"])
        return super().get_context_data(**kwargs)


def link_not_valid(request):
    return render(request, "bookings/status/invalid.html", status=404)


def status_context(consultation):
    appointments = list(consultation.appointments.select_related("specialist"))
    return {
        "appointment": next((a for a in appointments if a.is_live), None),
        "past_appointments": [a for a in appointments if not a.is_live],
        "can_cancel": consultation.can_transition_to(Status.CANCELLED),
        "cancel_form": CancelForm(),
    }


class StatusView(TokenMixin, TemplateView):
    template_name = "bookings/status/detail.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **status_context(self.consultation)}


class CancelView(TokenMixin, FormView):
    form_class = CancelForm
    template_name = "bookings/status/detail.html"
    http_method_names = ["post"]

    def form_invalid(self, form):
        context = {**self.get_context_data(), **status_context(self.consultation), "cancel_form": form}
        return self.render_to_response(context, status=400)

    def form_valid(self, form):
        if not self.consultation.can_transition_to(Status.CANCELLED):
            messages.info(self.request, "This request is already closed, so there is nothing to cancel.")
            return redirect("bookings:status", token=self.kwargs["token"])
        emailed = services.cancel_by_visitor(self.consultation, form.cleaned_data["reason"].strip())
        notice = "Your request is cancelled."
        if emailed:
            notice += " We have emailed you a confirmation for your calendar."
        messages.success(self.request, notice)
        return redirect("bookings:status", token=self.kwargs["token"])


class EraseView(TokenMixin, FormView):
    """Withdraw consent: first a page that says what will happen, then the POST."""

    form_class = EraseForm
    template_name = "bookings/status/erase.html"

    def form_valid(self, form):
        services.withdraw_consent(self.consultation)
        return redirect("bookings:erased")


class ErasedView(PrivatePageMixin, TemplateView):
    template_name = "bookings/status/erased.html"
