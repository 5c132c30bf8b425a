import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, UserFactory


@pytest.fixture
def images(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "articles").mkdir()
    for name in ["draft-hero.jpg", "live-hero.jpg", "in-body.jpg", "scheduled.jpg", "orphan.jpg"]:
        (tmp_path / "articles" / name).write_bytes(b"\xff\xd8\xff image " + name.encode())
    ArticleFactory(status=Article.Status.DRAFT, hero_image="articles/draft-hero.jpg")
    ArticleFactory(
        hero_image="articles/live-hero.jpg",
        body='<p>Text.</p><p><img src="/media/articles/in-body.jpg" alt="A calm room"></p>',
    )
    ArticleFactory(
        hero_image="articles/scheduled.jpg", publish_at=timezone.now() + timezone.timedelta(days=2)
    )


def fetch(client, name):
    response = client.get(f"/media/articles/{name}")
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response.status_code, body


@pytest.mark.django_db
def test_the_public_sees_only_images_of_published_articles(client, images):
    assert fetch(client, "live-hero.jpg") == (200, b"\xff\xd8\xff image live-hero.jpg")
    assert fetch(client, "in-body.jpg")[0] == 200
    for name in ["draft-hero.jpg", "scheduled.jpg", "orphan.jpg", "missing.jpg"]:
        assert fetch(client, name)[0] == 404, name


@pytest.mark.django_db
def test_staff_who_preview_articles_see_unpublished_images(client, images):
    editor = UserFactory(username="editor")
    editor.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(editor)
    for name in ["draft-hero.jpg", "scheduled.jpg", "live-hero.jpg"]:
        assert fetch(client, name)[0] == 200, name
    # Staff without that permission are the public here.
    client.force_login(UserFactory(username="reception"))
    assert fetch(client, "draft-hero.jpg")[0] == 404
