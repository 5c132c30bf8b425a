"""Opening hours and holidays are rows: public pages, structured data and new
specialists' working hours come from them; the old free text was migrated."""

import json
import re
from datetime import time, timedelta
from importlib import import_module

import pytest
from django.utils import timezone

from bookings.models import WorkingHours
from clinic.models import Holiday, Mode, OpeningHours, Specialist, hours_by_day
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db
migration = import_module("clinic.migrations.0002_opening_hours_and_fees")
DASH = "\u2013"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday to Saturday, 10 am to 7 pm", (time(10), time(19))),
        ("Mon-Fri 9:30am - 6pm", (time(9, 30), time(18))),
        (f"10:00{DASH}19:00", (time(10), time(19))),
        ("9 to 5", (time(9), time(17))),
        ("2 to 6 pm", (time(14), time(18))),
        ("By appointment", (time(10), time(19))),
        ("", (time(10), time(19))),
    ],
)
def test_the_free_text_hours_are_read_as_well_as_they_can_be(text, expected):
    assert migration.parse_range(text) == expected


def test_the_weekdays_are_kept_and_nonsense_gives_the_default():
    assert migration.parse_weekdays("0,1,2,3,4,5") == [0, 1, 2, 3, 4, 5]
    assert migration.parse_weekdays(" 1, 3 ,9,x") == [1, 3]
    assert migration.parse_weekdays("") == [0, 1, 2, 3, 4, 5]


def set_week(rows):
    OpeningHours.objects.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(weekday=day, start=time(*opens), end=time(*closes)) for day, opens, closes in rows
    )


def test_consecutive_days_with_the_same_hours_are_grouped(clinic_profile):
    set_week(
        [(d, (10,), (19,)) for d in range(5)] + [(5, (10,), (13,)), (5, (14,), (17,))] + [(6, (10,), (19,))]
    )
    assert hours_by_day() == [
        (f"Monday{DASH}Friday", [f"10:00{DASH}19:00"]),
        ("Saturday", [f"10:00{DASH}13:00", f"14:00{DASH}17:00"]),
        ("Sunday", [f"10:00{DASH}19:00"]),
    ]
    set_week([(0, (9,), (12,)), (2, (9,), (12,))])
    assert [days for days, _ in hours_by_day()] == ["Monday", "Wednesday"]


@pytest.mark.parametrize("url", ["/", "/contact/", "/about/"])
def test_public_pages_show_the_hours_from_the_rows(client, clinic_profile, url):
    set_week([(d, (9,), (17, 30)) for d in range(5)])
    html = client.get(url).content.decode()
    assert f"Monday{DASH}Friday 09:00{DASH}17:30" in html or f"<dt>Monday{DASH}Friday</dt>" in html


def test_the_contact_page_lists_days_and_coming_holidays(client, clinic_profile):
    Holiday.objects.create(date=timezone.localdate() + timedelta(days=10), name="Diwali")
    Holiday.objects.create(date=timezone.localdate() - timedelta(days=10), name="Past")
    html = client.get("/contact/").content.decode()
    assert f"<dt>Monday{DASH}Saturday</dt><dd>10:00{DASH}19:00</dd>" in html
    assert "(Diwali)" in html and "Past" not in html


def json_ld(html):
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html)
    ]


def test_structured_data_carries_the_opening_hours(client, clinic_profile):
    set_week([(d, (10,), (19,)) for d in range(5)] + [(5, (10,), (14,))])
    expected = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "opens": "10:00",
            "closes": "19:00",
        },
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": ["Saturday"],
            "opens": "10:00",
            "closes": "14:00",
        },
    ]
    home = json_ld(client.get("/").content.decode())[0]
    assert home["@type"] == "MedicalClinic" and home["openingHoursSpecification"] == expected
    article = json_ld(client.get(ArticleFactory().get_absolute_url()).content.decode())[0]
    assert article["publisher"]["openingHoursSpecification"] == expected


def test_the_owner_edits_hours_and_holidays_on_the_clinic_profile(admin_client, clinic_profile):
    url = f"/admin/clinic/clinicprofile/{clinic_profile.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "hours-TOTAL_FORMS" in page and "holidays-TOTAL_FORMS" in page and "buffer_minutes" in page


def test_a_specialist_added_in_the_admin_starts_with_the_clinics_hours(admin_client, clinic_profile):
    set_week([(0, (10,), (13,)), (0, (14,), (19,)), (3, (12,), (20,))])
    data = {
        "name": "Dr New",
        "slug": "dr-new",
        "title": "Psychiatrist",
        "languages": "English",
        "accepts_bookings": "on",
        "is_active": "on",
        "order": "0",
        "offers_in_clinic": "on",
        "offers_video": "on",
        "length_in_clinic": "50",
        "length_video": "45",
        "length_phone": "30",
        "fee_video": "1500",
    }
    for prefix in ("working_hours", "days_off"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post("/admin/clinic/specialist/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    specialist = Specialist.objects.get(slug="dr-new")
    hours = sorted(WorkingHours.objects.filter(specialist=specialist).values_list("weekday", "start", "end"))
    assert hours == [(0, time(10), time(13)), (0, time(14), time(19)), (3, time(12), time(20))]
    assert specialist.fee_for(Mode.VIDEO) == 1500 and specialist.fee_for(Mode.PHONE) is None
    assert specialist.length_for(Mode.PHONE) == timedelta(minutes=30)
