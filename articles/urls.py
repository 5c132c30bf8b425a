from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("search/", views.article_list, name="search"),
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    path("topic/<slug:slug>/", views.topic_detail, name="topic"),
    path("preview/<int:pk>/", views.article_preview, name="preview"),
    path("<slug:slug>/", views.article_detail, name="detail"),
]
