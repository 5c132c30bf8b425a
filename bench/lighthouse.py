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
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from run import ROOT, Site, free_port, manage, site_env

LIGHTHOUSE = Path(__file__).resolve().parent / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
SPECIALIST_SCRIPT = """
from clinic.models import Specialist
Specialist.objects.get_or_create(
    slug="lighthouse-specialist",
    defaults={"name": "Dr Lighthouse Test", "title": "Clinical Psychologist",
              "credentials": "M.Phil", "bio": "A profile made for the measurement."},
)
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


def run_lighthouse(url, out_dir, name):
    chromium = shutil.which("chromium")
    env = {**os.environ, "CHROME_PATH": chromium}
    report = out_dir / f"{name}.json"
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
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
    scores = {c: round((data["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
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
        hindi_article = (
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", HINDI_ARTICLE_SCRIPT],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        from_seed = (
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "from articles.models import Article; print(Article.objects.published().first().get_absolute_url())",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
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
        }
        out_dir = Path(args.keep) if args.keep else workdir
        out_dir.mkdir(parents=True, exist_ok=True)
        results = {}
        with Site(env):
            for name, path in pages.items():
                results[name] = run_lighthouse(base + path, out_dir, name.replace(" ", "-"))
            first_view = first_view_bytes(base + hindi_article, out_dir / "Hindi-article.json")
    print(f"{'page':<20}" + "".join(f"{c:>16}" for c in CATEGORIES))
    below = []
    for name, (scores, failing) in results.items():
        print(f"{name:<20}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES))
        if failing:
            print(f"{'':<20}failing audits: {', '.join(failing)}")
        below += [f"{name} {c} {s}" for c, s in scores.items() if s < args.min]
    print(f"First view of the Hindi article: {first_view / 1024:.1f} KB compressed (limit 60 KB)")
    if first_view > FIRST_VIEW_LIMIT:
        below.append(f"Hindi article first view {first_view / 1024:.1f} KB")
    if below:
        print("Below target: " + "; ".join(below))
        sys.exit(1)


if __name__ == "__main__":
    main()
