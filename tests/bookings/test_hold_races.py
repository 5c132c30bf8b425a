"""Fifty visitors submit the same open time at once: exactly one holds it, the
other forty-nine are told it was taken (TimeTaken), nothing else is saved or
lost. Threads in one process: on SQLite, BEGIN IMMEDIATE and the overlap
triggers; on PostgreSQL, the specialist's row lock and the exclusion constraint."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from bookings import services
from bookings.availability import open_times
from bookings.models import Appointment, ConsultationRequest
from clinic.models import Mode
from messaging.models import OutgoingMessage
from tests.factories import ConsultationRequestFactory, specialist_working_every_day

VISITORS = 50


def race(slot, count=VISITORS):
    """Submit `count` requests for one slot at once; the outcome of each."""
    outcomes = []
    barrier = threading.Barrier(count)

    def visitor(number):
        consultation = ConsultationRequestFactory.build(
            mode=Mode.VIDEO,
            window1_date=None,
            window1_part="",
            concern=None,
            email=f"racer{number}@example.com",
            submission_key=f"race-{number}",
        )
        try:
            barrier.wait(timeout=30)
            services.submit_request(consultation, slot=slot.key)
            outcomes.append("held")
        except services.TimeTaken:
            outcomes.append("taken")
        except Exception as exc:  # any other outcome fails the test, by name
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_fifty_visitors_one_time_with_threads(clinic_profile):
    specialist = specialist_working_every_day()
    slot = dict(open_times(Mode.VIDEO, specialist))[timezone.localdate() + timedelta(days=3)][0]
    outcomes = race(slot)
    assert sorted(outcomes) == ["held"] + ["taken"] * (VISITORS - 1)
    held = Appointment.objects.get()
    assert (held.status, held.start, held.specialist) == ("held", slot.start, specialist)
    assert ConsultationRequest.objects.count() == 1
    assert OutgoingMessage.objects.count() == 2  # the holder's acknowledgement and the clinic's notice
