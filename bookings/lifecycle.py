"""The states of an appointment and the moves between them, written once. The
service functions (bookings.services) check every change against MOVES, and
the database's check constraint and overlap guard are made from these sets.

    held ──► confirmed ──► completed | no-show      (from the start time on)
      │          │
      │          └──► cancelled
      └──► released (nobody confirmed it in time) | cancelled

Moving an appointment to another time keeps its state (and its calendar UID)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    HELD = "held", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    RELEASED = "released", _("Released: not confirmed in time")
    CANCELLED = "cancelled", _("Cancelled")


MOVES = {
    State.HELD: {State.CONFIRMED, State.RELEASED, State.CANCELLED},
    State.CONFIRMED: {State.COMPLETED, State.NO_SHOW, State.CANCELLED},
    State.COMPLETED: set(),
    State.NO_SHOW: set(),
    State.RELEASED: set(),
    State.CANCELLED: set(),
}
# Still to come: the visitor may move or cancel it, staff may confirm or close it.
CURRENT = {State.HELD, State.CONFIRMED}
# Taking the specialist's time: no two of one specialist overlap (the database's guard).
OCCUPYING = {State.HELD, State.CONFIRMED, State.COMPLETED, State.NO_SHOW}
# Recorded only once the appointment has started.
FROM_START_ON = {State.COMPLETED, State.NO_SHOW}


class InvalidMove(Exception):
    """A change of state the lifecycle does not allow."""


def check_move(current, target):
    if State(target) not in MOVES[State(current)]:
        raise InvalidMove(
            f"An appointment that is {State(current).label.lower()} cannot become {State(target).label.lower()}."
        )
