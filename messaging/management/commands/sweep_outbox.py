"""Run every minute and before each worker starts; running it more often, or on
several machines, is harmless: only one task can claim a message."""

from django.core.management.base import BaseCommand

from messaging import outbox


class Command(BaseCommand):
    help = "Queue again the messages a stopped worker left unsent, and give lost deliveries a new task."

    def handle(self, *args, **options):
        requeued, given_a_task = outbox.sweep()
        self.stdout.write(
            f"{requeued} abandoned message(s) queued again; {given_a_task} given a delivery task."
        )
