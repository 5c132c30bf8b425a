from clinic.models import Mode

from .appointments import Appointment
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

__all__ = [
    "Appointment",
    "ConsultationRequest",
    "DayOff",
    "DayPart",
    "InternalNote",
    "InvalidTransition",
    "Mode",
    "WorkingHours",
    "generate_access_key",
    "generate_reference",
    "window_start",
]
