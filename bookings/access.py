"""Who sees which bookings in the admin. Reception (and the owner) see all;
a member of the Clinicians group sees the appointments booked with them and
the requests assigned to them or with such an appointment, read-only."""

from django.db.models import Q

CLINICIANS = "Clinicians"


def sees_only_own(user):
    """True for a clinician without reception's rights."""
    if user.is_superuser or user.has_perm("bookings.change_consultationrequest"):
        return False
    if not hasattr(user, "_in_clinicians"):
        user._in_clinicians = user.groups.filter(name=CLINICIANS).exists()
    return user._in_clinicians


def own_appointments(queryset, user):
    return queryset.filter(specialist__user=user) if sees_only_own(user) else queryset


def own_requests(queryset, user):
    if not sees_only_own(user):
        return queryset
    mine = Q(assigned_to=user) | Q(
        pk__in=queryset.model.objects.filter(appointments__specialist__user=user).values("pk")
    )
    return queryset.filter(mine)
