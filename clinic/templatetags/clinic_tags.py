from datetime import timedelta

from django import template
from django.utils import timezone

from ..models import Holiday
from ..structured_data import clinic_data, json_ld_script

register = template.Library()


@register.simple_tag(takes_context=True)
def clinic_json_ld(context):
    """The clinic as schema.org data, its opening hours from the rows."""
    return json_ld_script(
        {"@context": "https://schema.org", **clinic_data(context["clinic"], context["opening_week"])}
    )


@register.simple_tag
def upcoming_holidays(days=60):
    """Clinic-wide closed dates in the next `days` days."""
    today = timezone.localdate()
    return list(Holiday.objects.filter(date__range=(today, today + timedelta(days=days))))
