"""Builds static/css/clinic.css, the site's one stylesheet: Bootstrap, then
the clinic's own rules. One file means one render-blocking request on a
reader's first visit instead of two."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

SOURCES = ["vendor/bootstrap/bootstrap.min.css", "css/site.css"]
BUNDLE = "css/clinic.css"
CHARSET = '@charset "UTF-8";'
NOTE = "/* Made by `manage.py build_css` (make css) from {}: edit those, not this file. */\n"


def static_dir():
    return Path(settings.BASE_DIR) / "static"


def bundle_text():
    parts = [(static_dir() / source).read_text(encoding="utf-8") for source in SOURCES]
    parts[0] = parts[0].removeprefix(CHARSET)
    return CHARSET + NOTE.format(" and ".join(SOURCES)) + "\n".join(part.strip() for part in parts) + "\n"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if the bundle is out of date")

    def handle(self, *args, check=False, **options):
        target = static_dir() / BUNDLE
        text = bundle_text()
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                raise CommandError(f"static/{BUNDLE} is out of date: run make css")
            return
        target.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote static/{BUNDLE} ({len(text.encode()):,} bytes)")
