import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.models import ConsultationRequest
from tests.factories import ConsultationRequestFactory, InternalNoteFactory

pytestmark = pytest.mark.django_db


def closed(status, days_ago, **kwargs):
    consultation = ConsultationRequestFactory(
        name="Anjali Kapoor", email="anjali@example.com", message="Trouble sleeping", **kwargs
    )
    stamp = ConsultationRequest.STATUS_STAMPS[status]
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        status=status, **{stamp: timezone.now() - timedelta(days=days_ago)}
    )
    return consultation


def run(*args):
    out = StringIO()
    call_command("anonymise_closed_requests", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def requests(clinic_profile):
    return {
        "old_completed": closed("completed", 400),
        "old_cancelled": closed("cancelled", 366),
        "old_no_show": closed("no_show", 500),
        "recent_completed": closed("completed", 300),
        "old_spam": closed("spam", 31),
        "recent_spam": closed("spam", 10),
        "open": ConsultationRequestFactory(created=timezone.now() - timedelta(days=800)),
    }


def erased(consultation):
    return ConsultationRequest.objects.get(pk=consultation.pk).erased_at is not None


def test_dry_run_changes_nothing_and_says_what_it_would_do(requests):
    output = run("--dry-run")
    assert "Would anonymise 3 request(s) closed more than 365 days ago." in output
    assert "Would anonymise 1 request(s) spam older than 30 days." in output
    assert requests["old_completed"].reference in output
    assert "Anjali" not in output and "anjali@" not in output
    assert not any(erased(c) for c in requests.values())


def test_anonymises_closed_requests_past_retention_and_old_spam(requests, caplog):
    InternalNoteFactory(consultation=requests["old_completed"], text="Talked about sleep")
    with caplog.at_level(logging.INFO):
        output = run()
    assert "Anonymised 3 request(s) closed more than 365 days ago." in output
    assert "Anonymised 1 request(s) spam older than 30 days." in output
    done = {name for name, consultation in requests.items() if erased(consultation)}
    assert done == {"old_completed", "old_cancelled", "old_no_show", "old_spam"}
    kept = ConsultationRequest.objects.get(pk=requests["old_completed"].pk)
    assert (kept.name, kept.email, kept.message, str(kept.phone)) == ("", "", "", "")
    assert kept.status == "completed" and kept.completed_at and kept.concern_id
    assert kept.notes.get().text == "(erased)"
    assert kept.history.first().history_change_reason == "Personal details erased (retention period ended)"
    for record in caplog.records:
        message = record.getMessage()
        assert "Anjali" not in message and "anjali@" not in message and "sleep" not in message
    assert any("Retention: 3 request(s)" in r.getMessage() for r in caplog.records)
    # Running again finds nothing new.
    assert "Anonymised 0 request(s) closed" in run()


def test_retention_period_is_configurable(requests, settings):
    settings.BOOKING_RETENTION_DAYS = 200
    run()
    assert erased(requests["recent_completed"])
    assert not erased(requests["open"])
