"""Delivery of outgoing messages (what each says is messaging.kinds, how each
channel sends is messaging.channels). queue() writes the row and its task in
the caller's transaction, so a message exists exactly when its change does and
a failing provider never blocks it; the worker claims a row with one
conditional UPDATE, so each is sent once; failures back off (RETRY_SCHEDULE);
sweep() is the one recovery path."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from clinic.models import ClinicProfile

from .channels import Undeliverable, channel
from .kinds import KINDS
from .models import OutgoingMessage

logger = logging.getLogger(__name__)

Status = OutgoingMessage.Status

# The wait after each failed attempt: 1, 5 and 15 minutes, then 1, 3 and 6 hours.
RETRY_SCHEDULE = [timedelta(minutes=minutes) for minutes in (1, 5, 15, 60, 180, 360)]
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# How long the "sent" update waits for a database that went away.
OUTAGE_PATIENCE = timedelta(minutes=5)


def queue(
    kind,
    consultation,
    *,
    appointment=None,
    offer=None,
    payment=None,
    reminder_for=None,
    send_at=None,
    channels=None,
):
    """Call it inside the transaction of the change that causes the message;
    `kind` is one of messaging.kinds. One message per channel: by default
    every channel the visitor chose that the kind is sent on. With send_at,
    the worker sends it then (a reminder), not at once."""
    messages = [
        OutgoingMessage(
            kind=kind.name,
            channel=name,
            consultation=consultation,
            appointment=appointment,
            offer=offer,
            payment=payment,
            reminder_for=reminder_for,
            remind_at=send_at,
            next_attempt_at=send_at,
        )
        for name in channels or KINDS[kind.name].channels(consultation)
    ]
    return _queue(messages)


def queue_many(kinds, consultation):
    """One insert for several kinds, by email (the booking form has a query budget)."""
    return _queue([OutgoingMessage(kind=kind.name, consultation=consultation) for kind in kinds])


def _queue(messages):
    messages = OutgoingMessage.objects.bulk_create(messages)
    for message in messages:
        if message.next_attempt_at:
            deliver.using(run_after=message.next_attempt_at).enqueue(message.pk)
        else:
            deliver.enqueue(message.pk)
    return messages


def _due(now):
    return OutgoingMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now), status=Status.QUEUED
    )


def _abandoned_before(now):
    """A claim older than this outlived any honest attempt: its worker died."""
    return now - timedelta(seconds=3 * settings.EMAIL_TIMEOUT + 30)


@task()
def deliver(message_id):
    now = timezone.now()
    if not _due(now).filter(pk=message_id).update(status=Status.SENDING, claimed_at=now):
        return "not due"
    message = OutgoingMessage.objects.select_related(
        "consultation", "appointment", "appointment__specialist"
    ).get(pk=message_id)
    kind = message.about
    with translation.override(kind.language(message)):
        # A channel the site no longer has (settings) sends nothing.
        if not kind.wanted(message) or message.channel not in settings.MESSAGE_CHANNELS:
            OutgoingMessage.objects.filter(pk=message.pk).update(status=Status.SKIPPED, next_attempt_at=None)
            logger.info("Message %s (%s) not needed any more", message.pk, message.kind)
            return "skipped"
        try:
            channel(message.channel).send(kind, message, ClinicProfile.load())
        except OSError as exc:  # smtplib.SMTPException, refused, timed out, unreachable
            return _after_failure(message, exc)
        except Undeliverable as exc:
            return _after_failure(message, exc, retry=False)
    _record_sent(message)
    logger.info(
        "Message %s (%s) sent for request %s", message.pk, message.kind, message.consultation.reference
    )
    if message.attempts:
        _wake_waiting_retries(message.channel)
    return "sent"


def _record_sent(message):
    """The server has accepted it: wait out a database outage (up to
    OUTAGE_PATIENCE) rather than leave it to be sent twice."""
    give_up = time.monotonic() + OUTAGE_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            OutgoingMessage.objects.filter(pk=message.pk).update(
                status=Status.SENT,
                sent_at=timezone.now(),
                attempts=message.attempts + 1,
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


def _wake_waiting_retries(channel_name):
    """The channel's provider is back: send its backlog now, not after its back-off
    (the retries only: a reminder waits for its time)."""
    now = timezone.now()
    waiting = OutgoingMessage.objects.filter(
        status=Status.QUEUED, next_attempt_at__gt=now, channel=channel_name, attempts__gt=0
    )
    with transaction.atomic():
        woken = list(waiting.values_list("pk", flat=True))
        waiting.filter(pk__in=woken).update(next_attempt_at=now)
        for message_id in woken:
            deliver.enqueue(message_id)
    if woken:
        logger.info("%s reachable again: %d waiting message(s) due now", channel_name, len(woken))


def _error_kind(exc):
    # The class and code only: SMTP error texts can quote addresses.
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None) or getattr(exc, "code", None)
    return f"{type(exc).__name__}{f' ({code})' if code else ''}"[:200]


def _after_failure(message, exc, *, retry=True):
    attempts = message.attempts + 1
    error = _error_kind(exc)
    if attempts >= MAX_ATTEMPTS or not retry:
        with transaction.atomic():
            OutgoingMessage.objects.filter(pk=message.pk).update(
                status=Status.FAILED, attempts=attempts, last_error=error, next_attempt_at=None
            )
            if message.channel != OutgoingMessage.Channel.EMAIL and message.about.email_if_undelivered:
                queue(
                    message.about,
                    message.consultation,
                    appointment=message.appointment,
                    reminder_for=message.reminder_for,
                    channels=[OutgoingMessage.Channel.EMAIL],
                )
        logger.warning(
            "Message %s (%s) failed after %d attempts: %s", message.pk, message.kind, attempts, error
        )
        return "failed"
    run_after = timezone.now() + RETRY_SCHEDULE[attempts - 1]
    with transaction.atomic():
        OutgoingMessage.objects.filter(pk=message.pk).update(
            status=Status.QUEUED, attempts=attempts, last_error=error, next_attempt_at=run_after
        )
        deliver.using(run_after=run_after).enqueue(message.pk)
    logger.info(
        "Message %s (%s) attempt %d failed (%s); retry at %s",
        message.pk,
        message.kind,
        attempts,
        error,
        run_after,
    )
    return "retry"


def sweep():
    """Requeue claims a dead worker left, and give a task to every due message
    without one (an extra task is harmless). Returns (requeued, given a task)."""
    now = timezone.now()
    requeued = OutgoingMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=_abandoned_before(now)
    ).update(status=Status.QUEUED, next_attempt_at=None)
    if requeued:
        logger.warning("%d message(s) abandoned by a worker that stopped; queued again", requeued)
    # Read only: the delivery tasks due to run now, by the message they are for.
    waiting = {
        args_kwargs["args"][0]
        for args_kwargs in DBTaskResult.objects.ready()
        .filter(task_path=deliver.module_path)
        .values_list("args_kwargs", flat=True)
    }
    taskless = [pk for pk in _due(now).values_list("pk", flat=True) if pk not in waiting]
    for message_id in taskless:
        deliver.enqueue(message_id)
    return requeued, len(taskless)


def send_again(messages):
    """Retry failed or abandoned messages from the start; send a sent one again
    as a new copy. Returns how many were queued."""
    count = 0
    for message in messages:
        with transaction.atomic():
            if message.status == Status.SENT:
                queue(
                    message.about,
                    message.consultation,
                    appointment=message.appointment,
                    channels=[message.channel],
                )
            else:
                being_sent = Q(status=Status.SENDING, claimed_at__gte=_abandoned_before(timezone.now()))
                updated = (
                    OutgoingMessage.objects.filter(pk=message.pk)
                    .exclude(being_sent)
                    .update(status=Status.QUEUED, attempts=0, last_error="", next_attempt_at=None)
                )
                if not updated:
                    continue
                deliver.enqueue(message.pk)
        count += 1
    return count
