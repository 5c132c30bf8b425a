"""The outbox's one recovery path (bookings.outbox.sweep): emails a dead
worker left "sending" are queued again, and queued emails whose delivery task
was lost get a new one.

Run it every minute (cron or a systemd timer) and before each worker start:

    * * * * *  cd /srv/clinic && .venv/bin/python manage.py sweep_outbox

Running it often, or on several machines at once, is harmless: only one task
can claim an email."""

from django.core.management.base import BaseCommand

from bookings import outbox


class Command(BaseCommand):
    help = "Queue again the emails a stopped worker left unsent, and give lost deliveries a new task."

    def handle(self, *args, **options):
        requeued, given_a_task = outbox.sweep()
        self.stdout.write(
            f"{requeued} abandoned email(s) queued again; {given_a_task} given a delivery task."
        )
