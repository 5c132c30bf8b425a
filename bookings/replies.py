"""The first reply reception sends by WhatsApp or SMS: prefilled, in the
visitor's language, and neutral when they asked for discreet messages
(a phone's lock screen shows it to whoever holds the phone)."""

from urllib.parse import quote

from django.utils import translation
from django.utils.translation import gettext


def reply_text(consultation, clinic):
    with translation.override(consultation.spoken_language):
        if consultation.discreet:
            # Names neither the clinic nor a health matter.
            return gettext(
                "Hello, this is a reply to your request {reference}. "
                "When would be a good time to talk? You can answer this message."
            ).format(reference=consultation.reference)
        name = consultation.first_name
        greeting = gettext("Hello {name},").format(name=name) if name else gettext("Hello,")
        return " ".join(
            [
                greeting,
                gettext(
                    "this is {clinic} replying to your consultation request {reference}. "
                    "When would be a good time to talk? You can answer this message."
                ).format(clinic=clinic.name, reference=consultation.reference),
            ]
        )


def contact_links(consultation, clinic):
    """[(label, href), ...] for the ways the visitor agreed to be contacted."""
    phone = consultation.phone.as_e164 if consultation.phone else ""
    text = quote(reply_text(consultation, clinic))
    links = []
    if phone:
        links.append(("Call " + consultation.phone.as_international, f"tel:{phone}"))
    if consultation.email:
        links.append(("Email " + consultation.email, f"mailto:{consultation.email}"))
    if phone and consultation.contact_by_whatsapp:
        links.append(("WhatsApp (message prefilled)", f"https://wa.me/{phone.lstrip('+')}?text={text}"))
    if phone and consultation.contact_by_sms:
        links.append(("SMS (message prefilled)", f"sms:{phone}?body={text}"))
    return links
