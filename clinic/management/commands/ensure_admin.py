import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Make sure an administrator can log in. Uses DJANGO_SUPERUSER_USERNAME, "
        "DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL when set; otherwise "
        "creates 'admin' with a random password, printed once, on the first run."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()

        if username and password:
            user, created = User.objects.get_or_create(username=username)
            user.email = email or user.email
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} the admin account '{username}' from the environment.")
            return

        existing = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Admin account: '{existing.get_username()}' (password unchanged; "
                f"reset it with: python manage.py changepassword {existing.get_username()})"
            )
            return

        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", email or "admin@localhost", password)
        line = "=" * 64
        self.stdout.write(
            f"{line}\nCreated the admin account. It is shown only this once:\n"
            f"  username: admin\n  password: {password}\n{line}"
        )
