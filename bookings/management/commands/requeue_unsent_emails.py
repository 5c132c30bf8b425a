from django.core.management.base import BaseCommand

from bookings import outbox


class Command(BaseCommand):
    help = (
        "Give every queued email a delivery task again. Run it when the worker starts: "
        "a worker that died may have taken tasks with it. Sending twice is impossible; "
        "only one task can claim an email."
    )

    def handle(self, *args, **options):
        count = outbox.requeue_unsent()
        self.stdout.write(f"{count} queued email(s) handed to the worker.")
