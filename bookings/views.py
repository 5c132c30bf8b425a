from django.core import signing
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

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

    def form_valid(self, form):
        consultation, _ = services.submit_request(
            form.save(commit=False), site_url=self.request.build_absolute_uri("/")
        )
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
