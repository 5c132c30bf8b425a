"""The benchmark: `make bench`.

Starts the site as production would (gunicorn with the project's config, DEBUG
off, WhiteNoise serving collected static files) on generated data, then
measures each page with wrk, side by side with a static file of the article
page's size (the limit). Then the same static file and the article through
nginx in front (deploy/nginx.conf: TLS, the micro-cache), the article's ratio
taken to that static file. Prints requests/s, p50 and p99 latency, each page's
ratio to the limit, SQL queries per page and compressed bytes, then where the
uncached article and a booking POST spend their time (bench/breakdown.py).
Exits non-zero if any page answers other than 200 (302 for the booking POST).

SQLite in a temporary folder by default. With DATABASE_URL and REDIS_URL set it
runs against them instead: point DATABASE_URL at a scratch database (it is
flushed) and REDIS_URL at a scratch Redis database (it is cleared).
"""

import argparse
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from nginx import Nginx, free_port

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
TARGETS = {
    "article": 0.75,
    "article_uncached": 0.25,
    "article_list": 0.75,
    "home": 0.75,
    "booking_form": 0.25,
    "booking_post": 0.1,
    "nginx: article": 0.8,
}
NGINX_LIMIT = "nginx: static file"


def site_env(workdir, port, page_cache=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings.prod",
        DJANGO_SECRET_KEY=env.get("BENCH_SECRET_KEY", "bench-" + "k" * 50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        SITE_URL=f"http://127.0.0.1:{port}",
        # Requests through nginx come with Host 127.0.0.1, without the port.
        REDIRECT_TO_SITE_URL="0",
        DJANGO_VAR_DIR=str(workdir / "var"),
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        DJANGO_MEDIA_ROOT=str(workdir / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        GUNICORN_ACCESS_LOG="",
        # The simulated visitors say who they are in X-Forwarded-For, as a
        # proxy on this machine would; the rate limit then tells them apart.
        TRUSTED_PROXY_IPS="127.0.0.1",
        WEB_CONCURRENCY=env.get("WEB_CONCURRENCY", "2"),
        PORT=str(port),
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
    )
    if not page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    return env


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_until_up(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the site did not start at {url}")


class Site:
    def __init__(self, env):
        self.env = env
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clinic.wsgi:application", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(f"http://127.0.0.1:{self.env['PORT']}/healthz")
        return self

    def worker_rss_mb(self):
        # A worker recycled by max_requests may be starting again: wait for all.
        for _ in range(50):
            out = subprocess.run(
                ["ps", "--ppid", str(self.process.pid), "-o", "rss="],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            rss = [round(int(kb) / 1024, 1) for kb in out.split()]
            if len(rss) >= int(self.env["WEB_CONCURRENCY"]):
                break
            time.sleep(0.2)
        return rss

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def run_wrk(url, duration, connections, posts_file=None):
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(BENCH / "status.lua"),
        url,
    ]
    if posts_file:
        cmd += ["--", str(posts_file), "2"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    statuses = {}
    for status, count in re.findall(r"^STATUS (\d+) (\d+)$", out, re.MULTILINE):
        statuses[int(status)] = statuses.get(int(status), 0) + int(count)
    p50, p99 = (int(v) / 1000 for v in re.search(r"LATENCY p50=(\d+) p99=(\d+)", out).groups())
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "statuses": statuses}


def compressed_size(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br, gzip"})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        encoding = response.headers.get("Content-Encoding")
    # HTML is compressed by the proxy in production; measure what gzip makes of it.
    return len(body) if encoding else len(gzip.compress(body, 6))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement (default 20)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--posts", type=int, default=12000, help="prepared booking POSTs (visitors)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = site_env(workdir, port)
        (workdir / "var").mkdir()  # production settings expect it to exist
        print("Preparing: migrate, collectstatic, generated data ...", flush=True)
        manage(env, "migrate", "--noinput", "-v0")
        if os.environ.get("DATABASE_URL"):
            manage(env, "flush", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        info_file = workdir / "info.json"
        posts_file = workdir / "posts.txt"
        subprocess.run(
            [sys.executable, str(BENCH / "generate.py"), str(info_file), str(posts_file), str(args.posts)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        manage(env, "collectstatic", "--noinput", "-v0")  # picks up the copied article page
        info = json.loads(info_file.read_text())
        print("  timing the uncached article and a booking POST in-process ...", flush=True)
        breakdown = subprocess.run(
            [sys.executable, str(BENCH / "breakdown.py"), str(info_file)],
            cwd=ROOT,
            env=site_env(workdir, port, page_cache=False),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        base = f"http://127.0.0.1:{port}"
        urls = {
            "limit (static file)": (f"{base}/static/bench/article-copy.html", None, 200),
            "article": (base + info["paths"]["article"], None, 200),
            "article_list": (base + info["paths"]["article_list"], None, 200),
            "home": (base + info["paths"]["home"], None, 200),
            "booking_form": (base + info["paths"]["booking_form"], None, 200),
            "booking_post": (base + info["paths"]["booking_form"], posts_file, 302),
        }
        results, failures = {}, []
        with Site(env) as site:
            for name, (url, posts, expected) in urls.items():
                urllib.request.urlopen(url if not posts else base + "/healthz").read()  # warm the page cache
                print(f"  measuring {name} ...", flush=True)
                results[name] = run_wrk(url, args.duration, args.connections, posts)
                if not posts:
                    results[name]["bytes"] = compressed_size(url)
                if set(results[name]["statuses"]) != {expected}:
                    failures.append(
                        f"{name}: statuses {results[name]['statuses']} (expected only {expected})"
                    )
            # The limit again, after the pages: the higher of the two runs is
            # used, so a slow first run cannot flatter the pages' ratios.
            print("  measuring limit (static file) again ...", flush=True)
            again = run_wrk(urls["limit (static file)"][0], args.duration, args.connections)
            limits = (results["limit (static file)"]["rps"], again["rps"])
            if again["rps"] > limits[0]:
                results["limit (static file)"] = {**again, "bytes": results["limit (static file)"]["bytes"]}
            rss = site.worker_rss_mb()
            # The same static file and article through nginx, as production serves them.
            with Nginx(workdir / "nginx", [f"127.0.0.1:{port}"], workdir / "static") as proxy:
                for name, path in (
                    (NGINX_LIMIT, "/static/bench/article-copy.html"),
                    ("nginx: article", info["paths"]["article"]),
                ):
                    urllib.request.urlopen(proxy.url + path, context=proxy.tls).read()  # fill the micro-cache
                    print(f"  measuring {name} ...", flush=True)
                    results[name] = run_wrk(proxy.url + path, args.duration, args.connections)
                    if set(results[name]["statuses"]) != {200}:
                        failures.append(f"{name}: statuses {results[name]['statuses']} (expected only 200)")
        # The same article with the page cache off, to show what the cache buys.
        uncached_env = site_env(workdir, port, page_cache=False)
        with Site(uncached_env):
            print("  measuring article_uncached ...", flush=True)
            results["article_uncached"] = run_wrk(urls["article"][0], args.duration, args.connections)
            if set(results["article_uncached"]["statuses"]) != {200}:
                failures.append(f"article_uncached: statuses {results['article_uncached']['statuses']}")

    limit = results["limit (static file)"]["rps"]
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    cache = "Redis" if os.environ.get("REDIS_URL") else "diskcache"
    print()
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s, gunicorn {env['WEB_CONCURRENCY']} sync workers, {database}, {cache}"
    )
    print(
        f"{'page':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'target':>8}{'SQL':>6}{'bytes':>9}"
    )
    for name, result in results.items():
        ratio = result["rps"] / (results[NGINX_LIMIT]["rps"] if name.startswith("nginx") else limit)
        target = TARGETS.get(name)
        queries = info["queries"].get(name.replace("_uncached", ""), {}).get("queries", "")
        if name == "booking_post":
            queries = ""
        mark = "" if target is None else (" ok" if ratio >= target else " MISSED")
        print(
            f"{name:<22}{result['rps']:>9.0f}{result['p50_ms']:>9.2f}{result['p99_ms']:>9.2f}"
            f"{ratio:>8.2f}{(f'{target:.2f}' if target else ''):>8}{queries!s:>6}{result.get('bytes', ''):>9}{mark}"
        )
    print(
        f"limit measured before and after the pages: {limits[0]:.0f} and {limits[1]:.0f} req/s (the higher is used); "
        f"the nginx rows' ratios are to the static file through nginx"
    )
    print(f"SQL queries on a cold cache: {json.dumps({k: v['queries'] for k, v in info['queries'].items()})}")
    print(f"gunicorn worker RSS after the run (MB): {rss}")
    print(breakdown, end="")
    if any(mb >= 100 for mb in rss):
        failures.append(f"a worker uses 100 MB or more: {rss}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
