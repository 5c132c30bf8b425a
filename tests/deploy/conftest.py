"""nginx with deploy/nginx.conf in front of two live servers of the test site.

The live servers run with the production settings that depend on the proxy
(HTTPS known from X-Forwarded-Proto, plain HTTP redirected; the visitor's
address from X-Forwarded-For), and nginx serves the static files as
`collectstatic` makes them in production (hashed names, gzip and Brotli copies).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

from bench.nginx import Nginx, free_port, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def collect_static(static_root, var_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="clinic.settings.dev",
        DJANGO_SECRET_KEY="collectstatic-only",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_VAR_DIR=str(var_dir),
    )
    # The site's own files; compressing the admin's and the editor's takes half a minute.
    command = ["manage.py", "collectstatic", "--noinput", "-v0", "-i", "admin", "-i", "django_prose_editor"]
    subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True)


@pytest.fixture(scope="module")
def proxy(django_db_setup, tmp_path_factory):
    if nginx_binary() is None or not BROTLI_MODULE.exists():
        pytest.skip("nginx is not installed here: scripts/install-nginx.sh installs it (as root)")
    workdir = tmp_path_factory.mktemp("nginx")
    static_root = workdir / "static"
    collect_static(static_root, workdir / "var")
    https_port = free_port()
    behind_proxy = override_settings(
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_SSL_REDIRECT=True,
        SECURE_REDIRECT_EXEMPT=[r"^healthz$"],
        TRUSTED_PROXY_IPS=["127.0.0.1"],
        # nginx passes Host without the port: an origin on another port than 443 is listed.
        CSRF_TRUSTED_ORIGINS=[f"https://127.0.0.1:{https_port}"],
    )
    behind_proxy.enable()
    # Started after the settings above: the middleware reads them once.
    servers = [LiveServer("127.0.0.1"), LiveServer("127.0.0.1")]
    nginx = Nginx(
        workdir,
        [server.url.removeprefix("http://") for server in servers],
        static_root,
        admin_path="/" + settings.ADMIN_URL,
        https_port=https_port,
    )
    nginx.servers = servers
    try:
        yield nginx.start()
    finally:
        nginx.stop()
        for server in servers:
            server.stop()
        behind_proxy.disable()
