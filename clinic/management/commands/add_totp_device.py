import io

import qrcode
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = (
        "Give a staff account an authenticator app (TOTP) for the admin's second factor: "
        "prints a QR code and its otpauth:// link to scan once. For the first administrator; "
        "after that, the owner adds devices in the admin (TOTP devices, then 'qrcode')."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Authenticator app", help="What the device is called.")

    def handle(self, *args, username, name, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no account '{username}'.") from None
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        picture = io.StringIO()
        code = qrcode.QRCode(border=2)
        code.add_data(device.config_url)
        code.print_ascii(out=picture)
        self.stdout.write(picture.getvalue())
        self.stdout.write(
            f"Scan this with the authenticator app of '{username}', or enter the link by hand:\n"
            f"  {device.config_url}\n"
            "When the admin requires a second factor, that account signs in with a code from the app."
        )
