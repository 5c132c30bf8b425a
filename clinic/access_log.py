"""gunicorn's access log without the bearer tokens of visitors' private links
(gunicorn.conf.py sets it as logger_class). Whoever holds one of those links
sees that visitor's booking, so it must not sit in a log file."""

import re

from gunicorn.glogging import Logger

# /book/thanks/<token>/, /book/request/<token>/... (not /book/request/erased/) and
# a specialist's /book/calendar/<token>/appointments.ics.
TOKEN_IN_PATH = re.compile(r"(/book/(?:thanks|request|calendar)/)(?!erased/)[^/?#\s\"]+")


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        # Every value that could carry such a path, headers too (a redirect's Location).
        return {
            name: TOKEN_IN_PATH.sub(r"\1[redacted]", value) if isinstance(value, str) else value
            for name, value in super().atoms(resp, req, environ, request_time).items()
        }
