from django.conf import settings
from django.core import signing
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_ratelimit.core import is_ratelimited

from clinic.net import client_ip

from . import services
from .forms import ConsultationRequestForm

THANKS_SALT = "bookings.thanks"
# Long enough to come back to the tab; short enough that an old link shows nothing.
THANKS_MAX_AGE = 6 * 60 * 60


def thanks_token(consultation):
    return signing.dumps(consultation.submission_key, salt=THANKS_SALT)


@method_decorator(never_cache, name="dispatch")
class BookView(FormView):
    template_name = "bookings/book.html"
    form_class = ConsultationRequestForm

    def get_initial(self):
        return ConsultationRequestForm.initial_from_query(self.request.GET)

    def post(self, request, *args, **kwargs):
        # Every POST counts, valid or not, per visitor address, in the shared
        # cache (Redis across machines).
        limited = is_ratelimited(
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
                "We have received several requests from your connection in a short time. "
                "Please try again in an hour, or call us; nothing you typed has been lost.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        consultation, _ = services.submit_request(
            form.save(commit=False),
            site_url=self.request.build_absolute_uri("/"),
            automated=form.looks_automated,
        )
        # A bot sees the same thank-you page as a person, and learns nothing.
        # Post/Redirect/Get to a page only the sender can open: the link is
        # signed and carries the random submission key, not the reference.
        return redirect("bookings:thanks", token=thanks_token(consultation))


@method_decorator(never_cache, name="dispatch")
class ThanksView(TemplateView):
    template_name = "bookings/thanks.html"

    def get(self, request, *args, **kwargs):
        try:
            key = signing.loads(kwargs["token"], salt=THANKS_SALT, max_age=THANKS_MAX_AGE)
        except signing.BadSignature:
            return self.render_to_response({"expired": True}, status=404)
        consultation = services.find_submitted(key)
        if consultation is None:
            return self.render_to_response({"expired": True}, status=404)
        return self.render_to_response({"consultation": consultation, "book_url": reverse("bookings:book")})
