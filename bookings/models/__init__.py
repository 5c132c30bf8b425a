from clinic.models import Mode

from .appointments import Appointment, Series
from .payments import Payment, ReceiptCounter
from .requests import (
    ConsultationRequest,
    DayPart,
    InternalNote,
    InvalidTransition,
    generate_access_key,
    generate_reference,
    window_start,
)
from .schedule import DayOff, WorkingHours
from .waitlist import WaitlistEntry, WaitlistOffer

__all__ = [
    "Appointment",
    "ConsultationRequest",
    "DayOff",
    "DayPart",
    "InternalNote",
    "InvalidTransition",
    "Mode",
    "Payment",
    "ReceiptCounter",
    "Series",
    "WaitlistEntry",
    "WaitlistOffer",
    "WorkingHours",
    "generate_access_key",
    "generate_reference",
    "window_start",
]
