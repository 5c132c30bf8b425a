"""Deploy checks (`manage.py check --deploy`) for settings whose absence lets
one visitor's mistakes, or an attacker's, fall on everyone."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_deploy_settings(app_configs, **kwargs):
    warnings = []
    if not settings.TRUSTED_PROXY_IPS:
        warnings.append(
            Warning(
                "TRUSTED_PROXY_IPS is empty: behind a proxy every visitor has the proxy's address, "
                "so five wrong passwords lock a staff account for everyone and the booking limit "
                "closes the form to the whole city.",
                hint="Set TRUSTED_PROXY_IPS to the addresses of your own proxies (comma-separated).",
                id="clinic.W001",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        warnings.append(
            Warning(
                f"SITE_URL ({settings.SITE_URL}) is not https: links in emails would send visitors' "
                "private links over plain HTTP.",
                hint="Set SITE_URL to the site's public https address, e.g. https://clinic.example.",
                id="clinic.W002",
            )
        )
    if not settings.ADMIN_REQUIRE_2FA:
        warnings.append(
            Warning(
                "Staff sign in to the admin with a password alone.",
                hint="Unset DJANGO_ADMIN_REQUIRE_2FA (production requires a second factor by default).",
                id="clinic.W003",
            )
        )
    if settings.VIDEO_JWT_SECRET and len(settings.VIDEO_JWT_SECRET.encode()) < 32:
        warnings.append(
            Warning(
                "VIDEO_JWT_SECRET is shorter than 32 bytes: the video server's tokens could be forged.",
                hint="Use the server's app secret, at least 32 random bytes.",
                id="clinic.W004",
            )
        )
    if not settings.VIDEO_SERVER.startswith("https://"):
        warnings.append(
            Warning(
                f"VIDEO_SERVER ({settings.VIDEO_SERVER}) is not https: browsers refuse the camera there.",
                hint="Set VIDEO_SERVER to the Jitsi server's https address.",
                id="clinic.W005",
            )
        )
    return warnings
