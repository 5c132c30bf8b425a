from .models import ClinicProfile


def clinic(request):
    """The clinic profile (cached) for every template: header, footer, helplines."""
    return {"clinic": ClinicProfile.load()}
