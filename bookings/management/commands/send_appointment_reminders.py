"""Run every few minutes (cron, or scripts/serve.sh under `make run`); running it
more often, or on several machines, still sends one reminder per time."""

import logging

from django.core.management.base import BaseCommand

from bookings import services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Queue a reminder email for each appointment starting in the next 24 hours."

    def handle(self, *args, **options):
        queued = services.queue_due_reminders()
        if queued:  # nothing in the log when nothing happened
            logger.info("Appointment reminders queued: %d", queued)
        self.stdout.write(f"{queued} reminder(s) queued.")
