from django.urls import path

from . import views
from .caching import public_page

app_name = "clinic"

urlpatterns = [
    path("", public_page(views.HomeView.as_view()), name="home"),
    path("about/", public_page(views.AboutView.as_view()), name="about"),
    path("contact/", public_page(views.ContactView.as_view()), name="contact"),
    path("privacy/", public_page(views.PrivacyView.as_view()), name="privacy"),
    path("specialists/", public_page(views.SpecialistListView.as_view()), name="specialists"),
    path("specialists/<slug:slug>/", public_page(views.SpecialistDetailView.as_view()), name="specialist"),
]
