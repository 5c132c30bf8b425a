"""Video rooms: a private one per appointment, made when staff confirm it (an
unconfirmed request never carries a live link), kept when it moves, retired
when it is cancelled.

By default a Jitsi Meet room on settings.VIDEO_SERVER, named at random: the
name says nothing of the visitor or the clinic. On a server with token
authentication (VIDEO_JWT_APP_ID and VIDEO_JWT_SECRET) each participant's link
carries a signed token that opens that room only, from the Join window to the
appointment's end. A specialist's own fixed room (Zoom, Google Meet) replaces
it where the owner set one. Another provider is another module with these
functions."""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.utils import timezone


def _server():
    return settings.VIDEO_SERVER.rstrip("/")


def new_room(specialist):
    """The link of a new room for an appointment with this specialist."""
    if specialist.video_room:
        return specialist.video_room
    return f"{_server()}/{secrets.token_hex(16)}"


def join_window(appointment):
    """From VIDEO_JOIN_OPENS_MINUTES before the start until the end."""
    return appointment.start - timedelta(minutes=settings.VIDEO_JOIN_OPENS_MINUTES), appointment.end


def is_open(appointment, now=None):
    opens, closes = join_window(appointment)
    return opens <= (now or timezone.now()) < closes


def participant_link(appointment, *, moderator=False, name=""):
    """The link that lets one participant in: the room itself, or with their
    token on a server that asks for one. The visitor's carries no name (the
    link is in their messages and their browser's history)."""
    room = appointment.video_link
    if not (room and settings.VIDEO_JWT_SECRET and room.startswith(_server() + "/")):
        return room
    opens, closes = join_window(appointment)
    user = {"moderator": moderator, **({"name": name} if name else {})}
    claims = {
        "iss": settings.VIDEO_JWT_APP_ID,
        "aud": "jitsi",
        "sub": urlsplit(_server()).hostname,
        "room": room.rsplit("/", 1)[1],
        "nbf": opens,
        "exp": closes,
        "context": {"user": user},
    }
    return f"{room}?jwt={jwt.encode(claims, settings.VIDEO_JWT_SECRET, algorithm='HS256')}"
