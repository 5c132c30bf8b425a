"""Bring the Hindi catalogue in step with the code, then compile it:
`manage.py update_messages`, translate what is new in
locale/hi/LC_MESSAGES/django.po, and run it again. The compiled .mo is
committed beside it, so serving needs no gettext tools; the tests
(tests/clinic/test_translations.py) fail while anything is untranslated,
fuzzy, missing from the catalogue, or not compiled."""

from django.conf import settings
from django.core.management import BaseCommand, call_command

# Every language of settings.LANGUAGES but the one the code is written in.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# Staff-only pages (the admin stays in English) and everything that is not the site.
IGNORE = [
    ".venv",
    "var",
    "staticfiles",
    "node_modules",
    "bench",
    "tests",
    "deploy",
    "scripts",
    "templates/admin/*",
    "templates/simple_history/*",
]
MAKEMESSAGES_OPTIONS = {"locale": TRANSLATED, "ignore_patterns": IGNORE, "no_obsolete": True, "verbosity": 0}


class Command(BaseCommand):
    help = "Update the Hindi catalogue from the code and compile it."

    def handle(self, *args, **options):
        call_command("makemessages", **MAKEMESSAGES_OPTIONS)
        call_command("compilemessages", locale=TRANSLATED, ignore_patterns=IGNORE, verbosity=0)
