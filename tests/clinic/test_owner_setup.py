"""Issue 15: the owner's setup checklist, no empty promises on public pages,
clinical review enforced, and the admin's technical sections for the owner only."""

from datetime import time

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from bookings.models import WorkingHours
from clinic.models import ClinicProfile
from tests.factories import ArticleFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")
SAMPLE_ITEMS = [
    "the phone is still the sample",
    "the email is still the sample",
    "the street address is still the sample",
    "the grievance officer is still the sample",
    "the grievance email is still the sample",
]


def checklist(client):
    html = client.get(INDEX).content.decode()
    return html.split('id="checklist-title"')[1].split("</section>")[0] if "checklist-title" in html else ""


def test_a_fresh_profile_shows_every_sample_item_and_fixing_each_removes_it(admin_client):
    items = checklist(admin_client)
    for item in [*SAMPLE_ITEMS, "No specialists yet"]:
        assert item in items, item
    profile_url = reverse("admin:clinic_clinicprofile_change", args=[1])
    assert f'href="{profile_url}"' in items

    profile = ClinicProfile.load()
    fixes = {
        "phone": "+91 124 455 6677",
        "email": "care@mindclinic.in",
        "street_address": "Plot 12, Sector 44",
        "grievance_officer": "Ms Neha Kapoor",
        "grievance_email": "privacy@mindclinic.in",
    }
    for (field, value), item in zip(fixes.items(), SAMPLE_ITEMS, strict=True):
        setattr(profile, field, value)
        profile.save()
        assert item not in checklist(admin_client), item

    specialist = SpecialistFactory(name="Dr Ira Sen")
    items = checklist(admin_client)
    assert "No specialists yet" not in items
    assert "Dr Ira Sen has no working hours" in items
    WorkingHours.objects.create(specialist=specialist, weekday=0, start=time(10), end=time(18))
    assert "Dr Ira Sen has no fee" in checklist(admin_client)
    specialist.fee_video = 1500
    specialist.save()
    assert "Dr Ira Sen" not in checklist(admin_client)


def test_published_articles_without_review_are_listed_until_reviewed(admin_client):
    article = ArticleFactory()
    assert "1 published article(s) without a clinical reviewer" in checklist(admin_client)
    article.reviewer = SpecialistFactory()
    article.last_reviewed = timezone.localdate()
    article.save()
    assert "without a clinical reviewer" not in checklist(admin_client)


def test_production_settings_items(admin_client, settings):
    settings.DEBUG = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.DEFAULT_FROM_EMAIL = "Clinic <no-reply@localhost>"
    items = checklist(admin_client)
    assert "SITE_URL" in items and "DEFAULT_FROM_EMAIL" in items
    settings.SITE_URL = "https://mindclinic.in"
    settings.DEFAULT_FROM_EMAIL = "Mind Clinic <care@mindclinic.in>"
    items = checklist(admin_client)
    assert "SITE_URL" not in items and "DEFAULT_FROM_EMAIL" not in items


def test_only_the_owner_sees_the_checklist(client):
    user = UserFactory(username="reception")
    user.groups.add(Group.objects.get(name="Reception"))
    client.force_login(user)
    assert "checklist-title" not in client.get(INDEX).content.decode()


def test_specialists_menu_item_hidden_while_there_are_none(client, clinic_profile):
    specialists_url = reverse("clinic:specialists")
    assert f'href="{specialists_url}"' not in client.get(reverse("clinic:about")).content.decode()
    SpecialistFactory()
    html = client.get(reverse("clinic:contact")).content.decode()
    assert f'href="{specialists_url}"' in html


def test_about_page_claims_review_only_for_reviewed_articles(client, clinic_profile):
    html = client.get(reverse("clinic:about")).content.decode()
    assert "reviewed by them before they are published" not in html
    assert "Medically reviewed by" in html


def article_form(article, **changes):
    data = {
        "title": article.title,
        "slug": article.slug,
        "language": article.language,
        "summary": article.summary,
        "body": article.body,
        "status": article.status,
        "publish_at_0": timezone.localtime(article.publish_at).strftime("%Y-%m-%d"),
        "publish_at_1": "10:00:00",
        "author": article.author_id or "",
        "reviewer": "",
        "last_reviewed": "",
        "hero_image_alt": "",
        "seo_description": "",
        "references-TOTAL_FORMS": "0",
        "references-INITIAL_FORMS": "0",
        "old_slugs-TOTAL_FORMS": "0",
        "old_slugs-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_an_editor_cannot_publish_without_review(client):
    editor = UserFactory(username="editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    draft = ArticleFactory(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_change", args=[draft.pk])
    assert "Reason for publishing without clinical review" not in client.get(url).content.decode()
    response = client.post(url, article_form(draft, status="published"))
    assert response.status_code == 200
    assert "published after clinical review" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT

    reviewer = SpecialistFactory()
    today = timezone.localdate().isoformat()
    response = client.post(
        url, article_form(draft, status="published", reviewer=reviewer.pk, last_reviewed=today)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED and draft.is_reviewed


def test_the_owner_publishes_without_review_only_with_a_reason_kept_in_history(admin_client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_change", args=[draft.pk])
    response = admin_client.post(url, article_form(draft, status="published"))
    assert "Say why this article is published without clinical review" in response.content.decode()
    response = admin_client.post(
        url, article_form(draft, status="published", publish_without_review_reason="Urgent public notice")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert draft.history.first().history_change_reason == (
        "Published without clinical review: Urgent public notice"
    )
    assert "Medically reviewed by" not in admin_client.get(draft.get_absolute_url()).content.decode()
    assert "without a clinical reviewer" in checklist(admin_client)


def test_the_clinic_profile_opens_as_one_page(admin_client):
    response = admin_client.get(reverse("admin:clinic_clinicprofile_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:clinic_clinicprofile_change", args=[1])


def test_technical_sections_are_for_superusers_only(client, admin_client):
    from django.contrib.auth.models import Permission

    staff = UserFactory(username="curious")
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    client.force_login(staff)
    url = reverse("admin:axes_accessattempt_changelist")
    assert client.get(url).status_code == 403
    assert "Access attempts" not in client.get(INDEX).content.decode()
    assert admin_client.get(url).status_code == 200
