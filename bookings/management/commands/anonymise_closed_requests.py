"""Run daily from cron (django-tasks has no periodic jobs). It prints and logs
counts and references only, never a name or any detail."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand

from bookings import services
from bookings.models import ConsultationRequest
from bookings.models.requests import SPAM_RETENTION_DAYS

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Anonymise closed consultation requests past the retention period, and old spam."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be anonymised; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        requests = ConsultationRequest.objects.order_by("created")
        batches = [
            (
                f"closed more than {settings.BOOKING_RETENTION_DAYS} days ago",
                requests.closed_past_retention(),
                "retention period ended",
            ),
            (
                f"spam older than {SPAM_RETENTION_DAYS} days",
                requests.spam_past_retention(),
                "spam retention period ended",
            ),
        ]
        for label, queryset, reason in batches:
            if dry_run:
                references = list(queryset.values_list("reference", flat=True))
                self.stdout.write(f"Would anonymise {len(references)} request(s) {label}.")
                for reference in references:
                    self.stdout.write(f"  {reference}")
                continue
            done = sum(services.erase(consultation, reason=reason) for consultation in queryset)
            logger.info("Retention: %d request(s) %s anonymised", done, label)
            self.stdout.write(f"Anonymised {done} request(s) {label}.")
