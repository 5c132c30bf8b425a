"""A receipt, printable from the admin and from the visitor's page, in the
visitor's language: the clinic, the specialist and their registration, the
service, the amount in figures and words, the method, and the GST line."""

from django.utils import translation
from num2words import num2words

from clinic.models import ClinicProfile


def amount_in_words(amount):
    # num2words has Indian English (lakh, crore) but no Hindi: Hindi receipts say it in English too.
    return f"Rupees {num2words(amount, lang='en_IN')} only"


def receipt_context(payment):
    appointment = payment.appointment
    return {
        "payment": payment,
        "appointment": appointment,
        "consultation": appointment.consultation,
        "clinic": ClinicProfile.load(),
        "in_words": amount_in_words(payment.amount),
        "language": translation.get_language(),
    }
