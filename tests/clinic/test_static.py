"""What a reader's browser downloads: one stylesheet, hashed names cached
for a year as immutable, and a first view of the seed article under 60 KB."""

import gzip
import re

import pytest
from django.core.management import call_command
from django.test import Client
from whitenoise.middleware import WhiteNoiseMiddleware

from articles.models import Article

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory, django_db_blocker):
    """collectstatic as a deploy runs it: hashed names, gzip and Brotli copies."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STATIC):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield root


@pytest.fixture
def production_static(collected, settings):
    settings.STATIC_ROOT = collected
    settings.STORAGES = PRODUCTION_STATIC
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    from django.contrib.staticfiles.storage import staticfiles_storage

    staticfiles_storage._setup()
    yield collected
    staticfiles_storage._setup()


def serve_static(url, **headers):
    from django.test import RequestFactory

    middleware = WhiteNoiseMiddleware(lambda request: pytest.fail(f"{url} was not served as a static file"))
    return middleware(RequestFactory().get(url, headers=headers))


def test_the_stylesheet_bundle_is_up_to_date():
    # static/css/clinic.css is made from Bootstrap and site.css; an edit to
    # either without `make css` would not reach the site.
    call_command("build_css", "--check")


def test_pages_link_one_stylesheet_and_no_blocking_script(client, db, clinic_profile):
    call_command("load_starting_content", verbosity=0)
    article = Article.objects.published().get()
    for url in ("/", "/articles/", article.get_absolute_url(), "/book/", "/specialists/", "/about/"):
        html = client.get(url).content.decode()
        head = html.split("</head>")[0]
        assert len(re.findall(r'<link rel="stylesheet"', html)) == 1, url
        assert "css/clinic" in head, url
        scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", html)
        assert all(" defer" in tag or " async" in tag for tag in scripts), (url, scripts)


@pytest.mark.django_db
def test_hashed_static_files_are_immutable_for_a_year_and_compressed(production_static):
    from django.templatetags.static import static

    url = static("css/clinic.css")
    assert re.search(r"/css/clinic\.[0-9a-f]{12}\.css$", url)
    response = serve_static(url, accept_encoding="br, gzip")
    assert response.status_code == 200
    directives = [part.strip() for part in response["Cache-Control"].split(",")]
    assert "immutable" in directives and "public" in directives
    assert int(directives[0].removeprefix("max-age=")) >= 365 * 24 * 3600
    assert response["Content-Encoding"] == "br"
    # The unhashed name may change with any deploy, so it is not cached for long.
    plain = serve_static("/static/css/clinic.css")
    assert "immutable" not in plain["Cache-Control"]


@pytest.mark.django_db
def test_the_seed_articles_first_view_weighs_under_60_kb(production_static, clinic_profile):
    call_command("load_starting_content", verbosity=0)
    article = Article.objects.published().get()
    html = Client().get(article.get_absolute_url()).content
    # HTML is compressed by the proxy in front of the site (gzip here: the
    # larger of the two); static files are served Brotli-compressed by WhiteNoise.
    weights = {"html": len(gzip.compress(html, 6))}
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert assets, "the page names no static files"
    for asset in {a.decode() for a in assets}:
        if asset.endswith((".css", ".js", ".svg", ".woff2", ".png", ".jpg", ".webp")):
            response = serve_static(asset, accept_encoding="br, gzip")
            assert response.status_code == 200, asset
            weights[asset] = sum(len(chunk) for chunk in response.streaming_content)
    total = sum(weights.values())
    print(f"seed article first view: {total:,} bytes {weights}")
    assert total <= 60 * 1024, weights
