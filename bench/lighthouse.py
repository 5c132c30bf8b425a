"""`make lighthouse`: Lighthouse 12 (mobile preset, headless Chromium, offline)
on home, the article list, the starting article, the booking form and a
specialist's page, and on the Hindi home, booking form and article (its draft
published for the measurement), served as production would. Prints the four
scores per page and exits non-zero if any is below 100 (or below --min), or if
the first view of the Hindi article is over 60 KB compressed."""

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from run import ROOT, Site, free_port, manage, site_env

LIGHTHOUSE = Path(__file__).resolve().parent / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
# Three specialists taking bookings, as a small clinic has: the form lists their open times.
SPECIALIST_SCRIPT = """
from bookings import services
from clinic.models import Specialist
for n, slug in enumerate(["lighthouse-specialist", "second-specialist", "third-specialist"]):
    specialist, _ = Specialist.objects.get_or_create(
        slug=slug,
        defaults={"name": f"Dr Lighthouse Test {n + 1}", "title": "Clinical Psychologist",
                  "credentials": "M.Phil", "bio": "A profile made for the measurement.",
                  "fee_video": 1500, "registration_number": "RCI A12345"},
    )
    services.give_clinic_hours(specialist)
"""

# The visitor's page of a video appointment starting in ten minutes: its Join button is open.
STATUS_SCRIPT = """
from datetime import timedelta
from django.utils import timezone
from bookings import services, tokens
from bookings.models import ConsultationRequest
from clinic.models import Specialist
consultation = ConsultationRequest(
    name="Lighthouse Visitor", email="visitor@example.com", phone="+919811012345", mode="video",
    who_for="adult", safe_now="yes", window1_date=timezone.localdate() + timedelta(days=2),
    window1_part="morning", submission_key="lighthouse-status",
)
consultation.contact_channels = ["email"]
consultation, _ = services.submit_request(consultation)
start = (timezone.now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
services.schedule_appointment(
    consultation, specialist=Specialist.objects.get(slug="lighthouse-specialist"), start=start,
    override_hours=True,
)
print(tokens.status_path(consultation))
"""


# The Hindi version of the starting article is loaded as a draft awaiting
# review; published here, in the throwaway database, to be measured.
HINDI_ARTICLE_SCRIPT = """
from articles.models import Article
article = Article.objects.get(language="hi", translation_of__slug="kiss-and-sex-intimacy-and-mental-health")
article.publish_now()
print(article.get_absolute_url())
"""
FIRST_VIEW_LIMIT = 60 * 1024
PRIVATE = {"status page (Join)"}


def first_view_bytes(url, report):
    """What a first visit downloads, compressed as production sends it: the
    page gzipped as nginx does (level 1) plus the files Lighthouse saw fetched
    (static files come precompressed)."""
    data = json.loads(report.read_text())
    requests = data["audits"]["network-requests"]["details"]["items"]
    others = sum(item.get("transferSize", 0) for item in requests if item["url"].split("#")[0] != url)
    with urllib.request.urlopen(url) as response:
        html = response.read()
    return len(gzip.compress(html, compresslevel=1)) + others


def shell_output(env, script):
    """The last line a `manage.py shell` script prints."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def run_lighthouse(url, out_dir, name, categories=CATEGORIES):
    chromium = shutil.which("chromium")
    env = {**os.environ, "CHROME_PATH": chromium}
    report = out_dir / f"{name}.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(categories)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking "
        "--disable-component-update --disable-sync --no-first-run --disable-quic",
    ]
    # Headless Chromium now and then fails to record the trace (NO_NAVSTART):
    # that says nothing about the page, so try again.
    for attempt in range(3):
        if subprocess.run(command, env=env, check=False).returncode == 0:
            break
        if attempt == 2:
            raise SystemExit(f"Lighthouse failed three times on {url}")
    data = json.loads(report.read_text())
    scores = {c: round((data["categories"][c]["score"] or 0) * 100) for c in categories}
    failing = [
        f"{audit['id']} ({audit['score']})"
        for audit in data["audits"].values()
        if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") == "binary"
    ]
    return scores, failing


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=int, default=100)
    parser.add_argument("--keep", help="folder to keep the JSON reports in")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: cd bench/lighthouse && npm ci")
    with tempfile.TemporaryDirectory(prefix="clinic-lighthouse-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = site_env(workdir, port)
        (workdir / "var").mkdir(exist_ok=True)  # production settings do not make it
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "load_starting_content")
        manage(env, "shell", "-c", SPECIALIST_SCRIPT)
        hindi_article = shell_output(env, HINDI_ARTICLE_SCRIPT)
        status_page = shell_output(env, STATUS_SCRIPT)
        from_seed = shell_output(
            env,
            "from articles.models import Article; print(Article.objects.published().first().get_absolute_url())",
        )
        base = f"http://127.0.0.1:{port}"
        pages = {
            "home": "/",
            "article list": "/articles/",
            "starting article": from_seed,
            "booking form": "/book/",
            "specialist": "/specialists/lighthouse-specialist/",
            "Hindi home": "/hi/",
            "Hindi booking form": "/hi/book/",
            "Hindi article": hindi_article,
            "status page (Join)": status_page,
        }
        out_dir = Path(args.keep) if args.keep else workdir
        out_dir.mkdir(parents=True, exist_ok=True)
        results = {}
        with Site(env):
            for name, path in pages.items():
                # A private page says noindex, as it must: search ranking does not apply.
                categories = [c for c in CATEGORIES if c != "seo"] if name in PRIVATE else CATEGORIES
                file_name = re.sub(r"\W+", "-", name).strip("-")
                results[name] = run_lighthouse(base + path, out_dir, file_name, categories)
            first_view = first_view_bytes(base + hindi_article, out_dir / "Hindi-article.json")
    print(f"{'page':<22}" + "".join(f"{c:>16}" for c in CATEGORIES))
    below = []
    for name, (scores, failing) in results.items():
        print(f"{name:<22}" + "".join(f"{scores.get(c, '-'):>16}" for c in CATEGORIES))
        if failing:
            print(f"{'':<22}failing audits: {', '.join(failing)}")
        below += [f"{name} {c} {s}" for c, s in scores.items() if s < args.min]
    print(f"First view of the Hindi article: {first_view / 1024:.1f} KB compressed (limit 60 KB)")
    if first_view > FIRST_VIEW_LIMIT:
        below.append(f"Hindi article first view {first_view / 1024:.1f} KB")
    if below:
        print("Below target: " + "; ".join(below))
        sys.exit(1)


if __name__ == "__main__":
    main()
