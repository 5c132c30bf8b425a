"""The Hindi catalogue is complete, in step with the code, and compiled."""

import shutil

import polib
from django.conf import settings
from django.core.management import call_command

from clinic.management.commands.update_messages import MAKEMESSAGES_OPTIONS

CATALOGUE = settings.BASE_DIR / "locale" / "hi" / "LC_MESSAGES" / "django.po"


def messages(catalogue):
    return {(entry.msgctxt, entry.msgid) for entry in catalogue if not entry.obsolete}


def test_every_message_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [], "Translate these in locale/hi/LC_MESSAGES/django.po"
    assert fuzzy == [], "Check these translations and remove their fuzzy flag"


def test_the_catalogue_has_every_message_the_code_marks(settings, tmp_path):
    (tmp_path / "hi" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(CATALOGUE, tmp_path / "hi" / "LC_MESSAGES" / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    call_command("makemessages", **MAKEMESSAGES_OPTIONS)
    fresh = polib.pofile(str(tmp_path / "hi" / "LC_MESSAGES" / "django.po"))
    assert messages(fresh) == messages(polib.pofile(str(CATALOGUE))), "Run manage.py update_messages"


def test_the_compiled_catalogue_matches_the_translations():
    def translations(catalogue):
        return {
            (entry.msgctxt, entry.msgid): entry.msgstr or {int(k): v for k, v in entry.msgstr_plural.items()}
            for entry in catalogue
            if entry.msgid and not entry.obsolete
        }

    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    assert translations(compiled) == translations(polib.pofile(str(CATALOGUE))), (
        "Run manage.py update_messages and commit django.mo"
    )
