"""`make lighthouse`: Lighthouse 12 (mobile preset, headless Chromium, offline)
on home, the article list, the starting article, the booking form and a
specialist's page, served as production would. Prints the four scores per page
and exits non-zero if any is below 100 (or below --min)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
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
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "load_starting_content")
        manage(env, "shell", "-c", SPECIALIST_SCRIPT)
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
        }
        out_dir = Path(args.keep) if args.keep else workdir
        out_dir.mkdir(parents=True, exist_ok=True)
        results = {}
        with Site(env):
            for name, path in pages.items():
                results[name] = run_lighthouse(base + path, out_dir, name.replace(" ", "-"))
    print(f"{'page':<20}" + "".join(f"{c:>16}" for c in CATEGORIES))
    below = []
    for name, (scores, failing) in results.items():
        print(f"{name:<20}" + "".join(f"{scores[c]:>16}" for c in CATEGORIES))
        if failing:
            print(f"{'':<20}failing audits: {', '.join(failing)}")
        below += [f"{name} {c} {s}" for c, s in scores.items() if s < args.min]
    if below:
        print("Below target: " + "; ".join(below))
        sys.exit(1)


if __name__ == "__main__":
    main()
