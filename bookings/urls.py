from django.urls import path

from . import feeds, views

app_name = "bookings"

urlpatterns = [
    path("", views.BookView.as_view(), name="book"),
    path("times/", views.OpenTimesView.as_view(), name="open_times"),
    path("thanks/<str:token>/", views.ThanksView.as_view(), name="thanks"),
    # The visitor's own pages, from the signed link in every email.
    path("request/erased/", views.ErasedView.as_view(), name="erased"),
    path("request/<str:token>/", views.StatusView.as_view(), name="status"),
    path("request/<str:token>/move/", views.MoveView.as_view(), name="move"),
    path("request/<str:token>/move/confirm/", views.MoveConfirmView.as_view(), name="move_confirm"),
    path("request/<str:token>/cancel/", views.CancelView.as_view(), name="cancel"),
    # One session of several (a course of care): the same pages, for that session.
    path("request/<str:token>/sessions/<int:session>/move/", views.MoveView.as_view(), name="move_session"),
    path(
        "request/<str:token>/sessions/<int:session>/move/confirm/",
        views.MoveConfirmView.as_view(),
        name="move_confirm_session",
    ),
    path(
        "request/<str:token>/sessions/<int:session>/cancel/",
        views.CancelView.as_view(),
        name="cancel_session",
    ),
    path("request/<str:token>/erase/", views.EraseView.as_view(), name="erase"),
    path("request/<str:token>/waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("request/<str:token>/offer/<int:offer>/", views.ClaimView.as_view(), name="claim"),
    path("request/<str:token>/receipt/<int:payment>/", views.ReceiptView.as_view(), name="receipt"),
    path("request/<str:token>/stop/<str:channel>/", views.StopTextsView.as_view(), name="stop_texts"),
    # A specialist's private calendar feed; the token is the key (bookings/feeds.py).
    path("calendar/<str:token>/appointments.ics", feeds.specialist_feed, name="specialist_calendar"),
]
