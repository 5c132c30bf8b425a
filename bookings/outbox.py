"""Delivery of emails (what each says is bookings.emails). queue_email() writes
the row and its task in the caller's transaction, so an email exists exactly
when its change does and a failing mail server never blocks it; the worker
claims a row with one conditional UPDATE, so each email is sent once; failures
back off (RETRY_SCHEDULE); sweep() is the one recovery path."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import emails
from .models import Appointment, OutboundEmail

logger = logging.getLogger(__name__)

Kind = OutboundEmail.Kind
EmailStatus = OutboundEmail.Status

# The wait after each failed attempt: 1, 5 and 15 minutes, then 1, 3 and 6 hours.
RETRY_SCHEDULE = [timedelta(minutes=minutes) for minutes in (1, 5, 15, 60, 180, 360)]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# How long the "sent" update waits for a database that went away.
OUTAGE_PATIENCE = timedelta(minutes=5)


def queue_email(kind, consultation, *, appointment=None, reminder_for=None):
    """Call it inside the transaction of the change that causes the email."""
    email = OutboundEmail(
        kind=kind, consultation=consultation, appointment=appointment, reminder_for=reminder_for
    )
    return _queue([email])[0]


def queue_emails(kinds, consultation):
    """One insert for several kinds (the booking form has a query budget)."""
    return _queue([OutboundEmail(kind=kind, consultation=consultation) for kind in kinds])


def _queue(emails):
    emails = OutboundEmail.objects.bulk_create(emails)
    for email in emails:
        deliver.enqueue(email.pk)
    return emails


def _due(now):
    return OutboundEmail.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=EmailStatus.QUEUED
    )


def _abandoned_before(now):
    """A claim older than this outlived any honest attempt: its worker died."""
    return now - timedelta(seconds=3 * settings.EMAIL_TIMEOUT + 30)


@task()
def deliver(email_id):
    now = timezone.now()
    if not _due(now).filter(pk=email_id).update(status=EmailStatus.SENDING, claimed_at=now):
        return "not due"
    email = OutboundEmail.objects.select_related(
        "consultation", "appointment", "appointment__specialist"
    ).get(pk=email_id)
    message = emails.build_message(email)
    if message is None:
        OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SKIPPED, next_attempt_at=None)
        logger.info("Email %s (%s) not needed any more", email.pk, email.kind)
        return "skipped"
    try:
        message.send()
    except OSError as exc:  # smtplib.SMTPException, refused, timed out, unreachable
        return _after_failure(email, exc)
    _record_sent(email)
    logger.info("Email %s (%s) sent for request %s", email.pk, email.kind, email.consultation.reference)
    if email.attempts:
        _wake_waiting_retries()
    return "sent"


def _record_sent(email):
    """The server has accepted it: wait out a database outage (up to
    OUTAGE_PATIENCE) rather than leave it to be sent twice."""
    give_up = time.monotonic() + OUTAGE_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            OutboundEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.SENT,
                sent_at=timezone.now(),
                attempts=email.attempts + 1,
                next_attempt_at=None,
                last_error="",
            )
            return
        except (OperationalError, InterfaceError):
            # Inside someone else's transaction there is nothing to retry.
            if time.monotonic() > give_up or connection.in_atomic_block:
                raise
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 10)


def _wake_waiting_retries():
    """The mail server is back: send the backlog now, not after its back-off."""
    now = timezone.now()
    waiting = OutboundEmail.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__gt=now)
    with transaction.atomic():
        woken = list(waiting.values_list("pk", flat=True))
        waiting.filter(pk__in=woken).update(next_attempt_at=now)
        for email_id in woken:
            deliver.enqueue(email_id)
    if woken:
        logger.info("Mail server reachable again: %d waiting email(s) due now", len(woken))


def _error_kind(exc):
    # The class and code only: SMTP error texts can quote addresses.
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}{f' ({code})' if code else ''}"[:200]


def _after_failure(email, exc):
    attempts = email.attempts + 1
    error = _error_kind(exc)
    if attempts >= MAX_ATTEMPTS:
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED, attempts=attempts, last_error=error, next_attempt_at=None
        )
        logger.warning("Email %s (%s) failed after %d attempts: %s", email.pk, email.kind, attempts, error)
        return "failed"
    run_after = timezone.now() + RETRY_SCHEDULE[attempts - 1]
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.QUEUED, attempts=attempts, last_error=error, next_attempt_at=run_after
        )
        deliver.using(run_after=run_after).enqueue(email.pk)
    logger.info(
        "Email %s (%s) attempt %d failed (%s); retry at %s", email.pk, email.kind, attempts, error, run_after
    )
    return "retry"


def sweep():
    """Requeue claims a dead worker left, and give a task to every due email
    without one (an extra task is harmless). Returns (requeued, given a task)."""
    now = timezone.now()
    requeued = OutboundEmail.objects.filter(
        status=EmailStatus.SENDING, claimed_at__lt=_abandoned_before(now)
    ).update(status=EmailStatus.QUEUED, next_attempt_at=None)
    if requeued:
        logger.warning("%d email(s) abandoned by a worker that stopped; queued again", requeued)
    # Read only: the delivery tasks due to run now, by the email they are for.
    waiting = {
        args_kwargs["args"][0]
        for args_kwargs in DBTaskResult.objects.ready()
        .filter(task_path=deliver.module_path)
        .values_list("args_kwargs", flat=True)
    }
    taskless = [pk for pk in _due(now).values_list("pk", flat=True) if pk not in waiting]
    for email_id in taskless:
        deliver.enqueue(email_id)
    return requeued, len(taskless)


def send_again(emails):
    """Retry failed or abandoned emails from the start; send a sent one again
    as a new copy. Returns how many were queued."""
    count = 0
    for email in emails:
        with transaction.atomic():
            if email.status == EmailStatus.SENT:
                queue_email(email.kind, email.consultation, appointment=email.appointment)
            else:
                being_sent = Q(status=EmailStatus.SENDING, claimed_at__gte=_abandoned_before(timezone.now()))
                updated = (
                    OutboundEmail.objects.filter(pk=email.pk)
                    .exclude(being_sent)
                    .update(status=EmailStatus.QUEUED, attempts=0, last_error="", next_attempt_at=None)
                )
                if not updated:
                    continue
                deliver.enqueue(email.pk)
        count += 1
    return count


def queue_due_reminders(now=None):
    """One reminder per appointment time in the next 24 hours; safe to rerun."""
    queued = 0
    for appointment in Appointment.objects.due_for_reminder(now).select_related("consultation"):
        if appointment.consultation.erased_at:
            continue
        if appointment.outbound_emails.filter(kind=Kind.REMINDER, reminder_for=appointment.start).exists():
            continue
        try:
            with transaction.atomic():
                queue_email(
                    Kind.REMINDER,
                    appointment.consultation,
                    appointment=appointment,
                    reminder_for=appointment.start,
                )
        except IntegrityError:
            continue  # another run queued it a moment ago
        queued += 1
    return queued
