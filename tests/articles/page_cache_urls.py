"""A public page with a form, for the page cache tests."""

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path

from clinic.page_cache import cache_public_page


@cache_public_page
def page_with_form(request):
    return HttpResponse(
        f'<form method="post"><input name="csrfmiddlewaretoken" value="{get_token(request)}"></form>'
    )


urlpatterns = [path("with-form/", page_with_form)]
