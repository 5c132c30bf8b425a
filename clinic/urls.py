from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

from articles.media import article_image
from articles.sitemaps import ArticleSitemap, TopicSitemap
from messaging import webhooks

from . import views

sitemaps = {
    "pages": views.StaticViewSitemap,
    "specialists": views.SpecialistSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
}

# The visitor's pages in English at / and in Hindi under /hi/.
urlpatterns = i18n_patterns(
    path("", include("clinic.site_urls")),
    path("articles/", include("articles.urls")),
    path("book/", include("bookings.urls")),
    prefix_default_language=False,
)
urlpatterns += [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("messages/twilio/", webhooks.twilio_incoming, name="twilio_incoming"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/favicon.svg", permanent=True)),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
]

# Article images are ours to answer (only once published), even behind a proxy.
urlpatterns += [re_path(r"^media/(?P<path>articles/.*)$", article_image)]
if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

admin.site.site_header = "Clinic administration"
admin.site.site_title = "Clinic admin"
admin.site.index_title = "Today at the clinic"
