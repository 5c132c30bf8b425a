import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from .links import SiteURLSitemap, absolute_url
from .models import Specialist

logger = logging.getLogger(__name__)


class SpecialistListView(ListView):
    queryset = Specialist.objects.active()
    template_name = "clinic/specialist_list.html"
    context_object_name = "specialists"


class SpecialistDetailView(DetailView):
    queryset = Specialist.objects.active()
    template_name = "clinic/specialist_detail.html"
    context_object_name = "specialist"

    def get_context_data(self, **kwargs):
        fees = [(mode.label, self.object.fee_for(mode)) for mode in self.object.modes]
        return super().get_context_data(
            fees=[(label, fee) for label, fee in fees if fee is not None], **kwargs
        )


@never_cache
@require_GET
def healthz(request):
    """For the load balancer: 200 when this instance can reach its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    # The admin's address is not named here, where anyone can read it.
    sitemap = absolute_url(reverse("sitemap"))
    return HttpResponse(f"User-agent: *\nDisallow:\n\nSitemap: {sitemap}\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    # A stale form: say what to do instead of Django's technical page.
    return render(request, "errors/403_csrf.html", status=403)


class StaticViewSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return ["clinic:home", "clinic:about", "clinic:contact", "clinic:privacy", "clinic:specialists"]

    def location(self, item):
        return reverse(item)


class SpecialistSitemap(SiteURLSitemap):
    changefreq = "monthly"
    priority = 0.6

    def items(self):
        return Specialist.objects.active()
