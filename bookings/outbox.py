"""Emails that are never lost and never sent twice.

How it works:

* `queue_email()` writes an OutboundEmail row and enqueues the `deliver` task
  (django-tasks, database backend) in the caller's transaction: the email
  exists exactly when the booking, appointment or cancellation behind it does,
  and a failing mail server cannot roll that change back, because nothing is
  sent inside it.
* The worker (`manage.py db_worker`) runs `deliver`. It claims the row with a
  conditional UPDATE (queued -> sending), so a second run for the same email
  (a duplicate task, a "send again" click) finds nothing to do; it builds the
  message from the database as it is now and sends it; the moment the SMTP
  server accepts it the row becomes "sent".
* When the mail server refuses, times out (EMAIL_TIMEOUT) or is unreachable,
  the task catches the error, records its kind (never its text, which can
  hold addresses), and enqueues itself again with `run_after`:

      after the 1st failed attempt: 1 minute
      after the 2nd: 5 minutes
      after the 3rd: 15 minutes
      after the 4th: 1 hour
      after the 5th: 3 hours
      after the 6th: 6 hours
      the 7th failure marks the email "failed" (about 10 h 21 min after the
      first try); staff see it in the admin and can "send again".

  As soon as one email that had failed goes through, every retry still
  waiting is made due at once: when the server comes back, the backlog goes
  within the next retry that falls due (at most the current back-off step,
  and new bookings' emails try straight away), not hours later.

* A worker that dies while it sends (killed, or the database went away)
  leaves the row "sending". Claiming an email also schedules a watchdog task,
  due long after any honest attempt is over (3 x EMAIL_TIMEOUT + 30 s), which
  puts a row still "sending" from that claim back in the queue, so the email
  is not lost. The one moment it cannot tell apart, a worker dying between
  the server's acceptance and the "sent" update, would mean a second copy;
  the "sent" update waits out a database outage instead of failing, which
  keeps that moment as short as it can be. The claim and the watchdog wait
  out an outage too (up to 5 minutes): each is, at that moment, the only task
  that would ever look at the email again.
* `requeue_unsent()` (run when the worker starts: `manage.py
  requeue_unsent_emails`) gives every queued email whose delivery task was
  lost with a dead worker a new one; a duplicate task is harmless, because
  only one can claim the row.

Reminders: `manage.py send_appointment_reminders` queues one reminder per
appointment time for appointments in the next 24 hours. django-tasks has no
periodic jobs, so run it from cron every 10 minutes; running it more often or
twice at once is harmless (a unique constraint keeps one reminder per time).
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from clinic.models import ClinicProfile

from . import calendar, tokens
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
# How long the worker waits for a database that went away before a task gives up.
OUTAGE_PATIENCE = timedelta(minutes=5)
# A "sending" row older than this was most likely left by a worker that died.
STALE_SENDING = timedelta(minutes=15)


def queue_email(kind, consultation, *, appointment=None, site_url="", reminder_for=None):
    """Record an email to send and enqueue its delivery. Call it inside the
    transaction of the change that causes it. Returns the OutboundEmail."""
    return queue_emails(
        [kind], consultation, appointment=appointment, site_url=site_url, reminder_for=reminder_for
    )[0]


def queue_emails(kinds, consultation, *, appointment=None, site_url="", reminder_for=None):
    """queue_email for several kinds at once, in one insert (the booking form
    has a query budget)."""
    site_url = (site_url or getattr(settings, "SITE_URL", ""))[:200]
    emails = OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                kind=kind,
                request=consultation,
                appointment=appointment,
                site_url=site_url,
                reminder_for=reminder_for,
            )
            for kind in kinds
        ]
    )
    for email in emails:
        deliver.enqueue(email.pk)
    return emails


@task()
def deliver(email_id):
    """Send one queued email (see the module docstring for the guarantees)."""

    def claim():
        claimed_at = timezone.now()
        with transaction.atomic():
            claimed = OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.QUEUED).update(
                status=EmailStatus.SENDING, claimed_at=claimed_at
            )
            if claimed:
                rescue_abandoned.using(run_after=claimed_at + abandoned_after()).enqueue(
                    email_id, claimed_at.isoformat()
                )
        return claimed

    # Until the email is claimed this task is its only one: a database that
    # goes away now must not end it, or the email would wait for the next
    # worker start (requeue_unsent).
    if not _through_outages(claim):
        return "not queued"
    email = OutboundEmail.objects.select_related("request", "appointment", "appointment__specialist").get(
        pk=email_id
    )
    message = build_message(email)
    if message is None:
        OutboundEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SKIPPED, next_attempt_at=None)
        logger.info("Email %s (%s) not needed any more", email.pk, email.kind)
        return "skipped"
    try:
        message.send()
    except OSError as exc:  # smtplib.SMTPException, refused, timed out, unreachable
        return _after_failure(email, exc)
    _record_sent(email)
    logger.info("Email %s (%s) sent for request %s", email.pk, email.kind, email.request.reference)
    if email.attempts:
        wake_waiting_retries()
    return "sent"


def abandoned_after():
    return timedelta(seconds=3 * settings.EMAIL_TIMEOUT + 30)


def _through_outages(operation):
    """operation(), tried again while the database is away (a restart, a
    failover) for up to OUTAGE_PATIENCE; each try on a fresh connection. The
    operations given are safe to repeat: conditional updates."""
    give_up = time.monotonic() + OUTAGE_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            return operation()
        except (OperationalError, InterfaceError):
            # Inside someone else's transaction there is nothing to retry.
            if time.monotonic() > give_up or connection.in_atomic_block:
                raise
            connection.close()  # the next try opens a fresh connection
            time.sleep(pause)
            pause = min(pause * 2, 10)


def _record_sent(email):
    """Mark the email sent. The server has accepted it, so a database outage
    now must not turn into a second copy later: keep trying until it is back."""
    _through_outages(
        lambda: OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
            attempts=email.attempts + 1,
            next_attempt_at=None,
            last_error="",
        )
    )


@task()
def rescue_abandoned(email_id, claimed_at):
    """The watchdog of one claim: if that claim's attempt never finished (its
    worker died), queue the email again. It waits out a database outage: it
    is the only task left that would ever look at that email."""

    def requeue():
        with transaction.atomic():
            requeued = OutboundEmail.objects.filter(
                pk=email_id, status=EmailStatus.SENDING, claimed_at=claimed_at
            ).update(status=EmailStatus.QUEUED, next_attempt_at=None)
            if requeued:
                deliver.enqueue(email_id)
        return requeued

    if _through_outages(requeue):
        logger.warning("Email %s was abandoned by a worker that stopped; queued again", email_id)
        return "requeued"
    return "finished"


def requeue_unsent():
    """Give every queued email a delivery task again (at its retry time):
    the one it had may have been taken by a worker that died before it could
    claim the email. Returns how many."""
    count = 0
    for email_id, next_attempt in OutboundEmail.objects.filter(status=EmailStatus.QUEUED).values_list(
        "pk", "next_attempt_at"
    ):
        task = deliver.using(run_after=next_attempt) if next_attempt else deliver
        task.enqueue(email_id)
        count += 1
    return count


def wake_waiting_retries():
    """The mail server is back (an email that had failed went through): bring
    every retry still waiting out of its back-off, so the backlog goes now
    rather than hours later. Returns how many were woken."""
    now = timezone.now()
    with transaction.atomic():
        woken = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=deliver.module_path, run_after__gt=now
        ).update(run_after=now)
        OutboundEmail.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__gt=now).update(
            next_attempt_at=now
        )
    if woken:
        logger.info("Mail server reachable again: %d waiting email(s) due now", woken)
    return woken


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


def send_again(emails):
    """Queue the chosen emails once more: failed ones, or ones stuck
    "sending", are retried from the start; a sent one is sent as a new copy.
    Returns how many were queued."""
    count = 0
    stale_before = timezone.now() - STALE_SENDING
    for email in emails:
        with transaction.atomic():
            if email.status == EmailStatus.SENT:
                queue_email(email.kind, email.request, appointment=email.appointment, site_url=email.site_url)
            else:
                updated = (
                    OutboundEmail.objects.filter(pk=email.pk)
                    .exclude(status=EmailStatus.SENDING, claimed_at__gt=stale_before)
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
    for appointment in Appointment.objects.due_for_reminder(now).select_related("request"):
        if appointment.request.erased_at:
            continue
        if appointment.outbound_emails.filter(kind=Kind.REMINDER, reminder_for=appointment.start).exists():
            continue
        try:
            with transaction.atomic():
                queue_email(
                    Kind.REMINDER,
                    appointment.request,
                    appointment=appointment,
                    reminder_for=appointment.start,
                )
        except IntegrityError:
            continue  # another run queued it a moment ago
        queued += 1
    return queued


# ---- Building the messages ----

SUBJECTS = {
    Kind.ACKNOWLEDGEMENT: "Your request to {clinic}",
    Kind.CONFIRMATION: "Your appointment at {clinic} is confirmed",
    Kind.RESCHEDULE: "Your appointment at {clinic} has changed",
    Kind.CANCELLATION: "Your appointment at {clinic} is cancelled",
    Kind.REMINDER: "Reminder: your appointment at {clinic}",
}
APPOINTMENT_KINDS = {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION, Kind.REMINDER}


def _site_url_seen_before(consultation):
    """Jobs without a web request (the reminder command) have no address for
    links; without SITE_URL, use the one the request's earlier emails used."""
    earlier = consultation.outbound_emails.exclude(site_url="").order_by("-pk").first()
    return earlier.site_url if earlier else ""


def _clinic_inbox(profile):
    return getattr(settings, "CLINIC_INBOX_EMAIL", "") or profile.email


def build_message(email):
    """The message for an OutboundEmail as things stand now, or None when it is
    no longer wanted (the request was erased; the appointment it reminds of or
    confirms was cancelled meanwhile)."""
    consultation, appointment = email.request, email.appointment
    if consultation.erased_at and not email.to_clinic:
        return None
    if email.kind in APPOINTMENT_KINDS:
        if appointment is None:
            return None
        live_kinds = {Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.REMINDER}
        if email.kind in live_kinds and not appointment.is_live:
            return None
        if email.kind == Kind.REMINDER and appointment.start != email.reminder_for:
            return None
    profile = ClinicProfile.load()
    site_url = email.site_url or getattr(settings, "SITE_URL", "") or _site_url_seen_before(consultation)
    context = {"clinic": profile, "consultation": consultation, "appointment": appointment}
    if email.to_clinic:
        path = reverse("admin:bookings_consultationrequest_change", args=[consultation.pk])
        context["admin_url"] = f"{site_url.rstrip('/')}{path}"
        prefix = "Urgent: new" if consultation.urgent else "New"
        subject = f"{prefix} consultation request {consultation.reference}"
        return _message(subject, "new_request", context, to=[_clinic_inbox(profile)])
    context["status_url"] = tokens.status_url(consultation, site_url)
    if appointment is not None:
        local_start = timezone.localtime(appointment.start)
        context["when"] = date_format(local_start, "l j F Y, g:i A")
    template = "acknowledgement" if email.kind == Kind.ACKNOWLEDGEMENT else f"appointment_{email.kind}"
    message = _message(
        SUBJECTS[email.kind].format(clinic=profile.name),
        template,
        context,
        to=[consultation.email],
        reply_to=[profile.email],
    )
    if appointment is not None and email.kind != Kind.REMINDER:
        ics = calendar.appointment_calendar(
            appointment, profile, site_url=site_url, status_url=context["status_url"]
        )
        message.attach("appointment.ics", ics, "text/calendar")
    return message


def _message(subject, template, context, to, reply_to=None):
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=to, reply_to=reply_to)
    message.attach_alternative(html, "text/html")
    return message
