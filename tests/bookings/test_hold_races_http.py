"""Fifty visitors send the booking form for the same open time at once, over
HTTP: one gets the thank-you page (a 302) and a held appointment; the other
forty-nine get the form back as typed (409) with a plain message and the next
open times. Nothing is lost, nothing answers 5xx.

SQLite: one live server, its request threads racing (BEGIN IMMEDIATE and the
overlap triggers). PostgreSQL: two live servers, as two app instances behind
a proxy would be, the visitors sent to them in turn (the specialist's row lock
and the exclusion constraint)."""

import http.client
import re
import threading
from datetime import timedelta
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread
from django.utils import timezone

from bookings.availability import open_times
from bookings.models import Appointment, ConsultationRequest
from clinic.models import Mode
from tests.factories import specialist_working_every_day

VISITORS = 50
TIMEOUT = 60

pytestmark = pytest.mark.django_db(transaction=True)


class Visitor:
    """One browser: its own CSRF cookie, the form page it was given, its POST."""

    def __init__(self, base_url, number):
        self.netloc = urlsplit(base_url).netloc
        self.number = number
        self.cookie = ""
        self.fields = {}

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(self.netloc, timeout=TIMEOUT)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        page = response.read().decode()
        conn.close()
        return response, page

    def open_form(self):
        response, page = self.request("GET", "/book/")
        assert response.status == 200
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", ""))[1]
        self.cookie = f"csrftoken={cookie}"
        for name in ("csrfmiddlewaretoken", "submission_key"):
            self.fields[name] = unescape(re.search(rf'name="{name}" value="([^"]+)"', page)[1])

    def send(self, slot_key):
        data = {
            **self.fields,
            "name": f"Visitor {self.number}",
            "email": f"visitor{self.number}@example.com",
            "phone": f"98110 {self.number:05d}",
            "contact_channels": "email",
            "mode": "video",
            "spoken_language": "en",
            "who_for": "adult",
            "safe_now": "yes",
            "consent": "on",
            "remote_consent": "on",
            "slot": slot_key,
        }
        return self.request("POST", "/book/", urlencode(data))


def race(server_urls, slot_key):
    visitors = [Visitor(server_urls[n % len(server_urls)], n) for n in range(VISITORS)]
    for visitor in visitors:
        visitor.open_form()
    barrier = threading.Barrier(VISITORS)
    results = [None] * VISITORS

    def go(visitor):
        try:
            barrier.wait(timeout=TIMEOUT)
            response, page = visitor.send(slot_key)
            results[visitor.number] = (response.status, response.getheader("Location", ""), page)
        except Exception as exc:  # reported by name below
            results[visitor.number] = (repr(exc), "", "")

    threads = [threading.Thread(target=go, args=(visitor,)) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 2)
    return results


def check(results, slot, specialist):
    statuses = sorted(str(status) for status, _, _ in results)
    assert statuses == ["302"] + ["409"] * (VISITORS - 1), statuses
    held = Appointment.objects.get()
    assert (held.status, held.start, held.specialist) == ("held", slot.start, specialist)
    winner = ConsultationRequest.objects.get()
    assert held.consultation == winner
    assert next(location for status, location, _ in results if status == 302).startswith("/book/thanks/")
    next_key = dict(open_times(Mode.VIDEO, specialist))[timezone.localtime(slot.start).date()][0].key
    for status, _, page in results:
        if status != 409:
            continue
        # The form as typed, the message, the times open now (not the taken one).
        assert "someone else has just taken that time" in page
        assert 'value="visitor' in page and f'value="{slot.key}"' not in page
        assert f'value="{next_key}"' in page
    return len([1 for status, _, _ in results if status == 409])


class BurstServer(ThreadedWSGIServer):
    # Fifty connections in the same instant: a listen queue as long as
    # gunicorn's, not socketserver's ten, or the kernel resets the rest.
    request_queue_size = 128


class BurstServerThread(LiveServerThread):
    server_class = BurstServer


@pytest.fixture
def app_instances(request, clinic_profile):
    """`request.param` live servers of the site, each a thread of this process."""
    threads = [
        BurstServerThread("127.0.0.1", static_handler=StaticFilesHandler) for _ in range(request.param)
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
    try:
        yield [f"http://127.0.0.1:{thread.port}" for thread in threads]
    finally:
        for thread in threads:
            thread.terminate()


def first_slot(specialist):
    return dict(open_times(Mode.VIDEO, specialist))[timezone.localdate() + timedelta(days=3)][0]


@pytest.mark.parametrize("app_instances", [1], indirect=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite version of the race")
def test_fifty_visitors_send_one_time_on_sqlite(app_instances):
    specialist = specialist_working_every_day()
    slot = first_slot(specialist)
    results = race(app_instances, slot.key)
    assert check(results, slot, specialist) == VISITORS - 1


@pytest.mark.parametrize("app_instances", [2], indirect=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL with two app instances")
def test_fifty_visitors_send_one_time_to_two_instances_on_postgresql(app_instances):
    specialist = specialist_working_every_day()
    slot = first_slot(specialist)
    results = race(app_instances, slot.key)
    assert check(results, slot, specialist) == VISITORS - 1
