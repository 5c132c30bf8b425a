"""Erase the personal details of requests the clinic no longer needs.

Closed requests (completed, cancelled, no-show) are anonymised once they have
been closed for BOOKING_RETENTION_DAYS (365 by default); spam after 30 days.
See bookings.retention for what is erased and what is kept.

Run it daily, from cron (django-tasks has no periodic jobs), e.g.

    15 3 * * *  cd /srv/clinic && .venv/bin/python manage.py anonymise_closed_requests

It prints and logs counts and references only, never a name or any detail."""

import logging

from django.core.management.base import BaseCommand

from bookings import retention

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Anonymise closed consultation requests past the retention period, and old spam."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be anonymised; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        closed, spam = retention.due_for_anonymising()
        days = retention.retention_days()
        batches = [
            (f"closed more than {days} days ago", closed, "retention period ended"),
            (f"spam older than {retention.SPAM_RETENTION_DAYS} days", spam, "spam retention period ended"),
        ]
        for label, queryset, reason in batches:
            references = list(queryset.order_by("created").values_list("reference", flat=True))
            if dry_run:
                self.stdout.write(f"Would anonymise {len(references)} request(s) {label}.")
                for reference in references:
                    self.stdout.write(f"  {reference}")
                continue
            done = sum(
                retention.anonymise(consultation, reason=reason)
                for consultation in queryset.order_by("created")
            )
            logger.info("Retention: %d request(s) %s anonymised", done, label)
            self.stdout.write(f"Anonymised {done} request(s) {label}.")
