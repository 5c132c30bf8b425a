from django.urls import path
from django.views.generic import TemplateView

from . import views
from .caching import public_page

app_name = "clinic"

urlpatterns = [
    path("", public_page(TemplateView.as_view(template_name="clinic/home.html")), name="home"),
    path("about/", public_page(TemplateView.as_view(template_name="clinic/about.html")), name="about"),
    path("contact/", public_page(TemplateView.as_view(template_name="clinic/contact.html")), name="contact"),
    path("privacy/", public_page(TemplateView.as_view(template_name="clinic/privacy.html")), name="privacy"),
    path("specialists/", public_page(views.SpecialistListView.as_view()), name="specialists"),
    path("specialists/<slug:slug>/", public_page(views.SpecialistDetailView.as_view()), name="specialist"),
]
