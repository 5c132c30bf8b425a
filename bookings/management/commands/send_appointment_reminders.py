"""Run from cron every 10 minutes (django-tasks has no periodic jobs); running
it more often, or on several machines, still sends one reminder per time."""

import logging

from django.core.management.base import BaseCommand

from bookings import services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Queue a reminder email for each appointment starting in the next 24 hours."

    def handle(self, *args, **options):
        queued = services.queue_due_reminders()
        logger.info("Appointment reminders queued: %d", queued)
        self.stdout.write(f"{queued} reminder(s) queued.")
