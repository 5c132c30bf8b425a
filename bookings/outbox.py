"""Emails that are never lost and never sent twice. This module delivers them;
what each one says is bookings.emails.

* `queue_email()` writes an OutboundEmail row and enqueues the `deliver` task
  (django-tasks, database backend) in the caller's transaction: the email
  exists exactly when the booking, appointment or cancellation behind it does,
  and a failing mail server can neither roll that change back nor hold it up,
  because nothing is sent inside it.
* The worker (`manage.py db_worker`) runs `deliver`. It claims the row with one
  conditional UPDATE (queued and due -> sending), so any other task for the
  same email (a duplicate, a "send again" click, one from the sweep) finds
  nothing to do; it builds the message from the database as it is now and
  sends it; the moment the SMTP server accepts it the row becomes "sent".
* When the mail server refuses, times out (EMAIL_TIMEOUT) or is unreachable,
  the task records the kind of error (never its text, which can hold
  addresses) and enqueues itself again with `run_after`:

      after the 1st failed attempt: 1 minute
      after the 2nd: 5 minutes
      after the 3rd: 15 minutes
      after the 4th: 1 hour
      after the 5th: 3 hours
      after the 6th: 6 hours
      the 7th failure marks the email "failed" (about 10 h 21 min after the
      first try); staff see it in the admin and can "send again".

  As soon as an email that had failed goes through, the server is back: every
  email still waiting out its back-off is made due and given a fresh task, so
  the backlog goes now rather than hours later (the tasks they were waiting
  for find nothing to claim when they fall due).
* Recovery is one periodic sweep (`sweep()`, `manage.py sweep_outbox`, every
  minute and before each worker start). An email still "sending" long after
  any honest attempt is over (3 x EMAIL_TIMEOUT + 30 s) was left by a worker
  that died, and is queued again; a queued email that is due with no task
  waiting to run it (its task died with a worker, or failed when the database
  went away) gets a new one. The one moment it cannot tell apart, a worker
  dying between the server's acceptance and the "sent" update, would mean a
  second copy; that update waits out a database outage to keep the moment
  as short as it can be.

Reminders: `manage.py send_appointment_reminders` queues one reminder per
appointment time for appointments in the next 24 hours (a unique constraint
keeps it to one however often it runs).
"""

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

RETRY_SCHEDULE = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# How long the "sent" update waits for a database that went away.
OUTAGE_PATIENCE = timedelta(minutes=5)


def queue_email(kind, consultation, *, appointment=None, reminder_for=None):
    """Record an email to send and enqueue its delivery. Call it inside the
    transaction of the change that causes it. Returns the OutboundEmail."""
    email = OutboundEmail(
        kind=kind, consultation=consultation, appointment=appointment, reminder_for=reminder_for
    )
    return _queue([email])[0]


def queue_emails(kinds, consultation):
    """queue_email for several kinds at once, in one insert (the booking form
    has a query budget)."""
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
    """Send one queued email (see the module docstring for the guarantees)."""
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
    """Mark the email sent. The server has accepted it, so a database outage
    now must not turn into a second copy later: keep trying (each time on a
    fresh connection) until the database is back or OUTAGE_PATIENCE is spent."""
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
    """The mail server is back: make every email waiting out its back-off due
    now, with a task of its own, so the backlog goes at once."""
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
    """The one recovery path, run every minute: queue again the emails a dead
    worker left "sending", and give every due queued email with no task
    waiting to run it a new one (an extra task is harmless: only one can claim
    the email). Returns (requeued, given a task)."""
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
    """Queue the chosen emails once more: failed ones, or ones a dead worker
    left "sending", are retried from the start; a sent one is sent as a new
    copy. Returns how many were queued."""
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
    """Queue a reminder for every booked appointment in the next 24 hours that
    has none for its current time. Safe to run as often as wanted."""
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
