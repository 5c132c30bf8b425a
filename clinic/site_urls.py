from django.urls import path

from . import views
from .page_cache import cache_public_page

app_name = "clinic"

urlpatterns = [
    path("", cache_public_page(views.HomeView.as_view()), name="home"),
    path("about/", cache_public_page(views.AboutView.as_view()), name="about"),
    path("contact/", cache_public_page(views.ContactView.as_view()), name="contact"),
    path("privacy/", cache_public_page(views.PrivacyView.as_view()), name="privacy"),
    path("specialists/", cache_public_page(views.SpecialistListView.as_view()), name="specialists"),
    path(
        "specialists/<slug:slug>/", cache_public_page(views.SpecialistDetailView.as_view()), name="specialist"
    ),
]
