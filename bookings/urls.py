from django.urls import path

from . import self_service, views

app_name = "bookings"

urlpatterns = [
    path("", views.BookView.as_view(), name="book"),
    path("thanks/<str:token>/", views.ThanksView.as_view(), name="thanks"),
    # The visitor's own pages, from the signed link in every email.
    path("request/erased/", self_service.ErasedView.as_view(), name="erased"),
    path("request/<str:token>/", self_service.StatusView.as_view(), name="status"),
    path("request/<str:token>/cancel/", self_service.CancelView.as_view(), name="cancel"),
    path("request/<str:token>/erase/", self_service.EraseView.as_view(), name="erase"),
]
