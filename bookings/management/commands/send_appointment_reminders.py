"""Queue reminder emails for appointments in the next 24 hours.

django-tasks has no periodic jobs: run this from cron every 10 minutes, e.g.

    */10 * * * *  cd /srv/clinic && .venv/bin/python manage.py send_appointment_reminders

Safe to run as often as you like, and on several machines at once: each
appointment time gets one reminder (a unique constraint in the outbox). The
worker (`manage.py db_worker`) sends them."""

import logging

from django.core.management.base import BaseCommand

from bookings import outbox

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Queue a reminder email for each appointment starting in the next 24 hours."

    def handle(self, *args, **options):
        queued = outbox.queue_due_reminders()
        logger.info("Appointment reminders queued: %d", queued)
        self.stdout.write(f"{queued} reminder(s) queued.")
