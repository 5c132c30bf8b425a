from django.urls import path

from . import views

app_name = "clinic"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("contact/", views.ContactView.as_view(), name="contact"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("specialists/", views.SpecialistListView.as_view(), name="specialists"),
    path("specialists/<slug:slug>/", views.SpecialistDetailView.as_view(), name="specialist"),
]
