"""Run every minute (cron or scripts/serve.sh); running it more often, or on
several machines, is harmless: each hold is released once, under a row lock."""

from django.core.management.base import BaseCommand

from bookings import services


class Command(BaseCommand):
    help = "Release chosen times staff have not confirmed in time, and invite each visitor to choose again."

    def handle(self, *args, **options):
        released = services.release_expired_holds()
        if options["verbosity"]:
            self.stdout.write(f"{released} hold(s) released.")
