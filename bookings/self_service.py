"""The visitor's own pages, opened from the signed link in every email: see the
request and any appointment, cancel, or withdraw consent and have the details
erased. No login: the link is the key (bookings.tokens). Nothing here may be
cached or indexed, and every page works without JavaScript."""

import logging

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from . import retention, scheduling, tokens
from .models import ConsultationRequest, InternalNote

logger = logging.getLogger(__name__)
Status = ConsultationRequest.Status


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
            return link_not_valid(self)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.consultation is None:
            return link_not_valid(self)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["consultation"] = self.consultation
        context["token"] = self.kwargs["token"]
        return context


def link_not_valid(view):
    response = TemplateView.as_view(template_name="bookings/status/invalid.html")(view.request)
    response.status_code = 404
    return response


def can_cancel(consultation):
    return consultation.can_transition_to(Status.CANCELLED)


def status_context(consultation):
    appointments = list(consultation.appointments.select_related("specialist"))
    return {
        "appointment": next((a for a in appointments if a.is_live), None),
        "past_appointments": [a for a in appointments if not a.is_live],
        "can_cancel": can_cancel(consultation),
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
        consultation = self.consultation
        if not can_cancel(consultation):
            messages.info(self.request, "This request is already closed, so there is nothing to cancel.")
            return redirect("bookings:status", token=self.kwargs["token"])
        reason = form.cleaned_data["reason"].strip()
        site_url = self.request.build_absolute_uri("/")
        with transaction.atomic():
            emailed = False
            for appointment in consultation.appointments.live():
                emailed |= scheduling.cancel_appointment(
                    appointment, reason=reason, by_visitor=True, site_url=site_url
                )
            consultation.transition_to(Status.CANCELLED)
            InternalNote.objects.create(
                request=consultation,
                text="Cancelled by the visitor." + (f" Their reason: {reason}" if reason else ""),
            )
        logger.info("Request %s cancelled by the visitor", consultation.reference)
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
        consultation = self.consultation
        with transaction.atomic():
            for appointment in consultation.appointments.live():
                scheduling.cancel_appointment(appointment, by_visitor=True)
            if can_cancel(consultation):
                consultation.transition_to(Status.CANCELLED)
            retention.anonymise(consultation, reason="consent withdrawn by the visitor")
        return redirect("bookings:erased")


class ErasedView(PrivatePageMixin, TemplateView):
    template_name = "bookings/status/erased.html"
