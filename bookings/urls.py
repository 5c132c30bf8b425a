from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("", views.BookView.as_view(), name="book"),
    path("thanks/<str:token>/", views.ThanksView.as_view(), name="thanks"),
]
