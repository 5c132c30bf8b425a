"""`make loadtest`: the production shape on this machine, under load and faults.

Two gunicorn instances on different ports share one PostgreSQL database and one
Redis (cache and rate limits), behind nginx with deploy/nginx.conf (TLS, load
balancing, the micro-cache), with the task worker beside them and a local SMTP
sink. Visitors book at the same time (a GET of the form, then a POST with their
own CSRF cookie, through nginx, each from its own loopback address 127.x.y.z,
which nginx appends to X-Forwarded-For) while readers browse the articles.
Along the way:

- smtp:   the mail server refuses connections for the first half, then comes back;
- db:     PostgreSQL restarts in the middle of the run;
- worker: the task worker is killed while it sends, and started again;
- texts:  the SMS and WhatsApp provider (a local server answering as Twilio's
          API does) answers 503 for the first TEXTS_OUTAGE seconds after staff
          confirm TEXTED appointments of visitors who chose both.

At the end it checks that every booking a visitor was thanked for is stored
exactly once with a unique reference, that no response was a 5xx other than the
site's own 503 page during the database restart, and that every email arrived
exactly once, and every SMS and WhatsApp message too. It prints a summary and
exits non-zero on any loss.

Only loopback addresses are used. The database named by --database is dropped
and created again; the Redis database --redis-db is flushed.
"""

import argparse
import asyncio
import collections
import concurrent.futures
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from email import message_from_bytes
from pathlib import Path

from nginx import Nginx, free_port
from run import ROOT, manage, wait_until_up

TEXTED = 50
TEXTS_OUTAGE = 20
WHATSAPP_TEMPLATE = "HX00000000000000000000000000000001"
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
REFERENCE = re.compile(r"data-reference>([A-Z0-9]{8})<")


class Sink:
    """A local SMTP server that records every message it accepts."""

    def __init__(self, port):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.messages.append((list(envelope.rcpt_tos), envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def counts_by_recipient(self):
        with self.lock:
            counts = collections.Counter()
            for recipients, content in self.messages:
                subject = message_from_bytes(content).get("Subject", "")
                for rcpt in recipients:
                    counts[(rcpt.lower(), subject)] += 1
            return counts


class TwilioSink:
    """A local server answering as Twilio's Messages API does (503 until
    `failing_until`), recording each message it accepts."""

    def __init__(self, port):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.accepted = collections.Counter()  # (to, "sms" or the WhatsApp template) -> count
        self.refused = 0
        self.failing_until = 0.0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = urllib.parse.parse_qs(body)
                with sink_lock:
                    if time.monotonic() < sink.failing_until:
                        sink.refused += 1
                        status, answer = 503, b'{"code": 20503, "message": "Unavailable", "status": 503}'
                    else:
                        to = form["To"][0].removeprefix("whatsapp:")
                        sink.accepted[(to, form.get("ContentSid", ["sms"])[0])] += 1
                        status, answer = 201, b'{"sid": "SM1", "status": "queued"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        sink_lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.errors = collections.Counter()
        self.post_latencies = []
        self.thanked = {}  # visitor number -> reference
        self.unexpected = []

    def record(self, kind, status):
        with self.lock:
            self.statuses[(kind, status)] += 1

    def error(self, kind):
        with self.lock:
            self.errors[kind] += 1


def loopback(group, number):
    """A loopback address of its own for each simulated person (all of
    127.0.0.0/8 reaches this machine); never 127.0.0.1, the proxy's."""
    return f"127.{group}.{number // 250 % 256}.{number % 250 + 1}"


class Browser:
    """One simulated person, connecting to nginx from their own address. The
    site's cookies are kept by hand (they are Secure; only the name and value
    are sent back)."""

    def __init__(self, proxy, address):
        self.proxy = proxy
        self.address = address
        self.cookies = {}

    def fetch(self, path, data=None, referer=None, timeout=30):
        """GET (or POST `data`), following redirects; returns the status, the
        page and the path it came from."""
        for _hop in range(5):
            status, body, location = self._one(path, data, referer, timeout)
            if status not in (301, 302, 303, 307, 308) or not location:
                return status, body, path
            target = urllib.parse.urlsplit(urllib.parse.urljoin(self.proxy.url + path, location))
            path, data, referer = target.path + (f"?{target.query}" if target.query else ""), None, None
        return status, body, path

    def _one(self, path, data, referer, timeout):
        headers = {"User-Agent": "clinic-loadtest"}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if referer:
            headers["Referer"] = self.proxy.url + referer
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, response_headers, body = self.proxy.request(
            "POST" if data is not None else "GET", path, data, headers, source=self.address, timeout=timeout
        )
        for header in response_headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, body.decode("utf-8", "replace"), response_headers.get("Location")


def visitor(number, proxy, stats, day, attempts=8):
    """One person: opens the form, fills it in, sends it, reads the thank-you
    page. Like a person, after an error page they send the same form again, or
    reload the thank-you page (the form's key makes a repeat harmless)."""
    browser = Browser(proxy, loopback(1, number))
    form_url = "/book/"
    fields = None
    for attempt in range(attempts):
        try:
            if fields is None:
                status, html, _ = browser.fetch(form_url)
                stats.record("form GET", status)
                if status != 200:
                    time.sleep(0.5 * (attempt + 1))
                    continue
                fields = dict(HIDDEN_INPUT.findall(html))
                fields.update(
                    {
                        "name": f"Loadtest visitor {number}",
                        "email": f"visitor{number}@loadtest.example",
                        # A number of their own: texts are counted per number.
                        "phone": f"+91 98{number:08d}",
                        "contact_channels": ["email", "sms", "whatsapp"],
                        "who_for": "adult",
                        "mode": "video",
                        "remote_consent": "on",
                        "spoken_language": "en",
                        "window1_date": day,
                        "window1_part": "morning",
                        "no_time_suits": "on",
                        "safe_now": "yes",
                        "consent": "on",
                    }
                )
            started = time.perf_counter()
            status, html, final_url = browser.fetch(
                form_url, urllib.parse.urlencode(fields, doseq=True).encode(), referer=form_url
            )
            stats.record("booking POST", status)
            with stats.lock:
                stats.post_latencies.append(time.perf_counter() - started)
            while "/book/thanks/" in final_url and status >= 500 and attempt < attempts:
                # Saved, but the thank-you page failed: reload it.
                time.sleep(0.5 * (attempt + 1))
                attempt += 1
                status, html, final_url = browser.fetch(final_url)
                stats.record("thank-you reload", status)
            if status == 200 and "/book/thanks/" in final_url:
                match = REFERENCE.search(html)
                if match:
                    with stats.lock:
                        stats.thanked[number] = match.group(1)
                    return
                stats.unexpected.append(f"visitor {number}: thank-you page without a reference")
                return
            if status == 200:
                stats.unexpected.append(f"visitor {number}: form refused: {html[:200]!r}")
                return
            time.sleep(0.5 * (attempt + 1))
        except (OSError, http.client.HTTPException):
            stats.error("connection")
            time.sleep(0.5 * (attempt + 1))
    stats.unexpected.append(f"visitor {number}: gave up after {attempts} attempts")


def reader(number, proxy, paths, stats):
    browser = Browser(proxy, loopback(2, number))
    for path in paths:
        try:
            status, html, _ = browser.fetch(path)
            stats.record("reader GET", status)
            if status >= 500 and "briefly unavailable" not in html:
                stats.unexpected.append(f"reader got a bare {status} on {path}")
        except (OSError, http.client.HTTPException):
            stats.error("connection")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument(
        "--faults", default="smtp,db,worker,texts", help="comma-separated: smtp, db, worker, texts"
    )
    parser.add_argument(
        "--server", default=os.environ.get("LOADTEST_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", default="clinic_loadtest")
    parser.add_argument("--redis", default=os.environ.get("LOADTEST_REDIS", "redis://127.0.0.1:6379"))
    parser.add_argument("--redis-db", default="14")
    parser.add_argument("--deliver-timeout", type=int, default=180, help="seconds to wait for every email")
    args = parser.parse_args()
    faults = {f for f in args.faults.split(",") if f}

    import psycopg
    import redis

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    redis_url = f"{args.redis}/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()

    tmp = Path(tempfile.mkdtemp(prefix="clinic-loadtest-"))
    smtp_port = free_port()
    twilio_port = free_port()
    ports = [free_port(), free_port()]
    https_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings.prod",
        DJANGO_SECRET_KEY="loadtest-" + "s" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"https://127.0.0.1:{https_port}",
        # nginx passes Host without its port (on 443 in production the two agree):
        # list the origin, and do not redirect to SITE_URL's spelling.
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{https_port}",
        REDIRECT_TO_SITE_URL="0",
        DJANGO_VAR_DIR=str(tmp / "var"),
        DJANGO_STATIC_ROOT=str(tmp / "static"),
        DATABASE_URL=f"{args.server}/{args.database}",
        DATABASE_CONN_MAX_AGE="60",
        REDIS_URL=redis_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        CLINIC_INBOX_EMAIL="inbox@loadtest.example",
        SMS_BACKEND="messaging.channels.TwilioChannel",
        WHATSAPP_BACKEND="messaging.channels.TwilioChannel",
        TWILIO_API_URL=f"http://127.0.0.1:{twilio_port}",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="loadtest-token",
        TWILIO_SMS_FROM="MG" + "0" * 32,
        TWILIO_WHATSAPP_FROM="+911244000000",
        MESSAGE_TEMPLATE_IDS=f'{{"whatsapp:confirmation_video:en": "{WHATSAPP_TEMPLATE}"}}',
        MESSAGE_TIMEOUT="5",
        # nginx, on 127.0.0.1, appends each visitor's address to X-Forwarded-For.
        TRUSTED_PROXY_IPS="127.0.0.1",
        # The simulated staff sign in with a password alone.
        DJANGO_ADMIN_REQUIRE_2FA="0",
        BOOKING_MIN_FILL_SECONDS="0",
        GUNICORN_ACCESS_LOG="",
        WEB_CONCURRENCY="2",
        PYTHONPATH=str(ROOT),
    )
    print("Preparing the database and static files ...", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_starting_content")
    run_django(env, STAFF_SETUP)

    processes = {}

    def start_instance(port):
        instance_env = {**env, "PORT": str(port)}
        processes[port] = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=instance_env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / f"gunicorn-{port}.log", "w"),  # noqa: SIM115
        )

    stopping = threading.Event()

    def supervise_worker():
        # As systemd would: a worker that exits (it does when the database
        # goes away) is started again, and the outbox sweep runs every minute.
        swept_at = time.monotonic()
        while not stopping.is_set():
            if processes["worker"].poll() is not None and not stopping.is_set():
                start_worker()
                swept_at = time.monotonic()
            if time.monotonic() - swept_at >= 60:
                sweep_outbox()
                swept_at = time.monotonic()
            time.sleep(0.5)

    def sweep_outbox():
        subprocess.run(
            [sys.executable, "manage.py", "sweep_outbox"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "sweep.log", "a"),  # noqa: SIM115
            check=False,
        )

    def start_worker():
        # As in production (see README): sweep the outbox before each start.
        sweep_outbox()
        processes["worker"] = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "worker.log", "a"),  # noqa: SIM115
        )

    for port in ports:
        start_instance(port)
    start_worker()
    threading.Thread(target=supervise_worker, daemon=True).start()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    for base in bases:
        wait_until_up(base + "/healthz")
    proxy = Nginx(
        tmp / "nginx", [f"127.0.0.1:{port}" for port in ports], tmp / "static", https_port=https_port
    )
    proxy.start()

    sink = Sink(smtp_port)
    if "smtp" not in faults:
        sink.start()
    twilio = TwilioSink(twilio_port)
    twilio.start()
    stats = Stats()
    day = next_open_day(env)
    reader_paths = ["/", "/articles/", "/articles/kiss-and-sex-intimacy-and-mental-health/", "/about/"]
    done = {"count": 0}
    events = {}
    recovery = {}

    def on_progress():
        fraction = done["count"] / args.bookings
        if "db" in faults and fraction >= 0.3 and "db" not in events:
            events["db"] = time.monotonic()
            threading.Thread(target=restart_postgres, args=(recovery, bases), daemon=True).start()
        if "worker" in faults and fraction >= 0.4 and "worker" not in events:
            events["worker"] = time.monotonic()
            # The supervisor starts it again.
            processes["worker"].send_signal(signal.SIGKILL)
        if "smtp" in faults and fraction >= 0.5 and "smtp" not in events:
            events["smtp"] = time.monotonic()
            sink.start()

    print(
        f"Load: {args.bookings} visitors booking, {args.concurrency} at once, through nginx to {len(bases)} instances, "
        f"with {args.readers} readers; faults: {', '.join(sorted(faults)) or 'none'}",
        flush=True,
    )
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        reading = [pool.submit(reader, n, proxy, reader_paths, stats) for n in range(args.readers)]
        booking = [pool.submit(visitor, n, proxy, stats, day) for n in range(args.bookings)]
        for future in concurrent.futures.as_completed(booking):
            future.result()
            done["count"] += 1
            on_progress()
        for future in reading:
            future.result()
    load_seconds = time.monotonic() - started
    if "smtp" in faults and "smtp" not in events:
        sink.start()
    staff = staff_schedule_at_once(env, proxy, day)
    if "texts" in faults:
        twilio.failing_until = time.monotonic() + TEXTS_OUTAGE
    texted = confirm_for_texts(env, day)
    texts_started = time.monotonic()

    # Every email: one acknowledgement per visitor, one notification per
    # booking, and a confirmation for each appointment staff scheduled; an SMS
    # and a WhatsApp confirmation for each of those (the visitors chose both).
    expected = len(stats.thanked) * 2 + staff["booked"] + len(texted)
    texts_expected = 2 * (staff["booked"] + len(texted))
    expected_texts = {(phone, kind): 1 for phone in texted for kind in ("sms", WHATSAPP_TEMPLATE)}
    deadline = time.monotonic() + args.deliver_timeout
    delivered_at = texts_at = None
    while time.monotonic() < deadline:
        if len(sink.messages) >= expected and delivered_at is None:
            delivered_at = time.monotonic()
        if sum(twilio.accepted.values()) >= texts_expected and texts_at is None:
            texts_at = time.monotonic()
        if delivered_at and texts_at:
            break
        time.sleep(0.5)
    time.sleep(3)  # anything sent twice would arrive now

    stored = stored_references(env)
    thanked = set(stats.thanked.values())
    missing = thanked - stored
    counts = sink.counts_by_recipient()
    acks = collections.Counter()
    for (rcpt, subject), count in counts.items():
        if rcpt.startswith("visitor") and subject.startswith("Your request to"):
            acks[rcpt] += count
    duplicates = {rcpt: n for rcpt, n in acks.items() if n > 1}
    visitors_without_ack = [n for n in stats.thanked if acks.get(f"visitor{n}@loadtest.example", 0) == 0]
    bare_5xx = sum(
        count for (kind, status), count in stats.statuses.items() if status >= 500 and status != 503
    )

    stopping.set()
    for process in processes.values():
        process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    sink.stop()
    twilio.stop()
    proxy.stop()

    latencies = sorted(stats.post_latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    print()
    print("Summary")
    print(f"  load phase: {load_seconds:.1f} s")
    print(
        f"  requests: {sum(stats.statuses.values())}, by kind and status: {dict(sorted(stats.statuses.items()))}"
    )
    print(f"  connection errors (retried): {dict(stats.errors)}")
    print(
        f"  bookings thanked: {len(thanked)} of {args.bookings} visitors; stored: {len(stored)}; "
        f"thanked but missing: {len(missing)}"
    )
    print(
        f"  booking POST latency: p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
        if latencies
        else "  no booking POSTs"
    )
    print(
        f"  emails: {len(sink.messages)} received, {expected} expected; duplicates: {len(duplicates)}; "
        f"visitors without an acknowledgement: {len(visitors_without_ack)}"
    )
    if delivered_at and "smtp" in events:
        print(
            f"  every email delivered {delivered_at - events['smtp']:.1f} s after the mail server came back"
        )
    doubled_texts = {key: n for key, n in twilio.accepted.items() if n > 1}
    missing_texts = set(expected_texts) - set(twilio.accepted)
    print(
        f"  texts: {sum(twilio.accepted.values())} accepted by the provider, {texts_expected} expected "
        f"(SMS and WhatsApp for {texts_expected // 2} confirmations); missing {len(missing_texts)}, doubled "
        f"{len(doubled_texts)}; refused while it was down: {twilio.refused}"
        + (f"; all delivered {texts_at - texts_started:.1f} s after staff confirmed" if texts_at else "")
    )
    if recovery:
        print(
            f"  PostgreSQL restart: both instances healthy again {recovery.get('seconds', float('nan')):.1f} s "
            "after it went down, with no gunicorn restart"
        )
    print(
        f"  two staff scheduling overlapping appointments at once, through nginx: "
        f"{staff['booked']} booked, {staff['refused']} told of the clash, {staff['other']} other answers"
    )
    print(f"  logs: {tmp}")

    failures = []
    if missing:
        failures.append(f"{len(missing)} thanked bookings are missing")
    if len(stored) != len(thanked):
        failures.append(f"stored {len(stored)} requests for {len(thanked)} thanked visitors")
    if len(thanked) != args.bookings:
        failures.append(f"{args.bookings - len(thanked)} visitors never saw the thank-you page")
    if bare_5xx:
        failures.append(f"{bare_5xx} responses were a 5xx other than the site's 503 page")
    if duplicates:
        failures.append(f"{len(duplicates)} visitors got their acknowledgement more than once")
    if visitors_without_ack or len(sink.messages) != expected:
        failures.append(f"emails: {len(sink.messages)} received, {expected} expected")
    if missing_texts or doubled_texts or sum(twilio.accepted.values()) != texts_expected:
        failures.append(f"texts: {len(missing_texts)} missing, {len(doubled_texts)} doubled")
    if "texts" in faults and not twilio.refused:
        failures.append("the texting provider's outage was never met")
    if (staff["booked"], staff["refused"], staff["other"]) != (1, 1, 0):
        print(f"  staff answers: {staff.get('answers')}")
        failures.append(f"staff scheduling at once: {staff}")
    if "db" in faults and not recovery.get("seconds"):
        failures.append("the instances did not recover after the database restart")
    failures += stats.unexpected[:10]
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("PASSED")


STAFF_PASSWORD = "loadtest-reception-password"
STAFF_SETUP = f"""
from django.contrib.auth.models import Group, User
from clinic.models import Specialist
for name in ("reception1", "reception2"):
    user, _ = User.objects.get_or_create(username=name, defaults={{"is_staff": True}})
    user.set_password("{STAFF_PASSWORD}")
    user.save()
    user.groups.add(Group.objects.get(name="Reception"))
Specialist.objects.get_or_create(slug="loadtest-specialist", defaults={{"name": "Dr Load Test", "title": "Psychologist"}})
"""
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def staff_schedule_at_once(env, proxy, day):
    """Two receptionists, signed in through nginx (which sends their requests
    to both instances), schedule overlapping appointments for the same
    specialist at the same moment."""
    ids = run_django(
        env,
        "from bookings.models import ConsultationRequest\n"
        "from clinic.models import Specialist\n"
        "rs = ConsultationRequest.objects.filter(status='new').order_by('pk').values_list('pk', flat=True)[:2]\n"
        "print('IDS', Specialist.objects.get(slug='loadtest-specialist').pk, *rs)",
    )
    specialist, *requests = re.search(r"IDS (.*)", ids).group(1).split()
    sessions = []
    for number in (1, 2):
        browser = Browser(proxy, loopback(3, number))
        login = "/admin/login/"
        _, html, _ = browser.fetch(login)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": CSRF_INPUT.search(html).group(1),
                "username": f"reception{number}",
                "password": STAFF_PASSWORD,
                "next": "/admin/",
            }
        ).encode()
        browser.fetch(login, form, referer=login)
        add = f"/admin/bookings/appointment/schedule/{requests[number - 1]}/"
        _, html, _ = browser.fetch(add)
        token = CSRF_INPUT.search(html)
        sessions.append((browser, add, token.group(1) if token else ""))
    barrier = threading.Barrier(len(sessions))
    answers = []

    def schedule(index):
        browser, add, token = sessions[index]
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "specialist": specialist,
                "start_0": day,
                "start_1": "11:00:00" if index == 0 else "11:30:00",
                "duration": "50",
                "mode": "video",
                "location": "",
                "video_link": "",
                "override_working_hours": "on",
                "_save": "Save",
            }
        ).encode()
        barrier.wait()
        answers.append(browser.fetch(add, form, referer=add))

    threads = [threading.Thread(target=schedule, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = {"booked": 0, "refused": 0, "other": 0}
    for status, html, final_url in answers:
        # Scheduling goes back to the request it was made from.
        if status == 200 and re.search(r"/admin/bookings/consultationrequest/\d+/change/$", final_url):
            result["booked"] += 1
        elif status == 200 and "already has an appointment that overlaps" in html:
            result["refused"] += 1
        else:
            result["other"] += 1
            result.setdefault("answers", []).append((status, final_url, re.sub(r"\s+", " ", html)[:300]))
    return result


def confirm_for_texts(env, day):
    """Staff confirm TEXTED more requests at once (through the service layer, as
    the admin does); returns the visitors' numbers, each due an SMS and a WhatsApp."""
    out = run_django(
        env,
        "from datetime import datetime, time, timedelta\n"
        "from django.utils import timezone\n"
        "from bookings import services\n"
        "from bookings.models import ConsultationRequest\n"
        "from clinic.models import Specialist\n"
        "specialist = Specialist.objects.get(slug='loadtest-specialist')\n"
        f"first = timezone.make_aware(datetime.combine(datetime.fromisoformat('{day}').date() + timedelta(days=1), time(8)))\n"
        f"rs = ConsultationRequest.objects.filter(status='new').order_by('pk')[:{TEXTED}]\n"
        "for n, r in enumerate(rs):\n"
        "    services.schedule_appointment(r, specialist=specialist, start=first + timedelta(hours=n), override_hours=True)\n"
        "    print('PHONE', r.phone.as_e164)\n",
    )
    return re.findall(r"PHONE (\S+)", out)


def restart_postgres(recovery, bases):
    cluster = sorted(os.listdir("/etc/postgresql"))[0]
    went_down = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )
    # Both instances reconnect by themselves: wait for their health checks.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        healthy = 0
        for base in bases:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=3) as response:
                    healthy += response.status == 200
            except OSError:
                pass
        if healthy == len(bases):
            recovery["seconds"] = time.monotonic() - went_down
            return
        time.sleep(0.2)


def run_django(env, code):
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def next_open_day(env):
    out = run_django(
        env,
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from clinic.models import ClinicProfile\n"
        "days = ClinicProfile.load().open_weekday_numbers\n"
        "day = timezone.localdate() + timedelta(days=2)\n"
        "while day.weekday() not in days: day += timedelta(days=1)\n"
        "print('DAY', day.isoformat())",
    )
    return re.search(r"DAY (\S+)", out).group(1)


def stored_references(env):
    out = run_django(
        env,
        "from bookings.models import ConsultationRequest\n"
        "refs = list(ConsultationRequest.objects.values_list('reference', flat=True))\n"
        "print('REFS', len(refs), len(set(refs)), ' '.join(refs))",
    )
    match = re.search(r"REFS (\d+) (\d+) ?(.*)", out)
    total, unique = int(match.group(1)), int(match.group(2))
    if total != unique:
        raise SystemExit(f"references are not unique: {total} rows, {unique} references")
    return set(match.group(3).split())


if __name__ == "__main__":
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    main()
