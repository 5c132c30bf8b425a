"""What providers tell us: Twilio's incoming-message webhook, signed with the
account's auth token. A visitor who answers STOP (SMS or WhatsApp) gets no
more messages on that channel; Twilio itself then refuses to send them any."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bookings import services
from bookings.models import ConsultationRequest
from clinic.links import absolute_url

# Twilio's own opt-out keywords (it sends OptOutType=STOP for them on SMS).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}


@csrf_exempt
@require_POST
def twilio_incoming(request):
    from twilio.request_validator import RequestValidator

    # Twilio signs the address it called: ours, as SITE_URL spells it.
    url = absolute_url(request.get_full_path())
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not RequestValidator(token).validate(url, request.POST.dict(), signature):
        return HttpResponseForbidden()
    sender = request.POST.get("From", "")
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    said = request.POST.get("Body", "").strip().upper()
    if request.POST.get("OptOutType") == "STOP" or said in STOP_WORDS:
        requests = ConsultationRequest.objects.filter(
            phone=sender.removeprefix("whatsapp:"), erased_at__isnull=True
        )
        services.stop_texts(requests, channel, by=f"answered {said or 'STOP'}")
    # An empty TwiML answer: nothing is sent back.
    return HttpResponse("<Response/>", content_type="text/xml")
