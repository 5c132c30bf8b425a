"""The clinic's admin site: a second factor at sign-in where settings require
it, and no "view on site" redirect for objects the user may not see."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.db.models.base import ModelBase
from django.http import Http404
from django.urls import path
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm


class SecondFactorLoginForm(OTPAdminAuthenticationForm):
    """django-otp's admin login form, with name, password and code on one page.
    A wrong password and a wrong code get the same answer, and both count
    towards django-axes' lockout, so the page never tells that a password was
    right. Someone with several authenticator apps may give a code from any
    (each app tried in turn: a miss slows that app's next try by django-otp's
    throttle, a second or so)."""

    error_messages = {
        **OTPAdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the correct %(username)s, password and code from your "
        "authenticator app for a staff account. The code changes every 30 seconds.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = "Code from your authenticator app"
        self.fields["otp_token"].widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")

    def clean_otp(self, user):
        if user is None:
            return
        chosen = self.cleaned_data.get("otp_device")
        for device_id in [chosen] if chosen else [d.persistent_id for d in devices_for_user(user)]:
            self.cleaned_data["otp_device"] = device_id
            try:
                super().clean_otp(user)
            except ValidationError:
                continue
            return
        # django-otp fills the password back in when it was right: that would tell.
        self.fields["password"].widget.render_value = False
        user_login_failed.send(
            sender=type(self), credentials={"username": user.get_username()}, request=self.request
        )
        raise self.get_invalid_login_error()


# Login attempts and task results: for the owner, not for reception or editors.
TECHNICAL_APPS = {"axes", "django_tasks_database"}


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class ClinicAdminSite(admin.AdminSite):
    # The request list and the schedule need the width (1280 px screens);
    # the breadcrumbs and the index lead everywhere the sidebar did.
    enable_nav_sidebar = False

    # With ADMIN_REQUIRE_2FA (production) staff sign in with a password and a
    # code from their authenticator app, as django-otp's OTPAdminSite does;
    # without it (make run, tests) a password alone.
    @property
    def login_form(self):
        return SecondFactorLoginForm if settings.ADMIN_REQUIRE_2FA else AdminAuthenticationForm

    @property
    def login_template(self):
        return "admin/login_2fa.html" if settings.ADMIN_REQUIRE_2FA else None

    def has_permission(self, request):
        verified = not settings.ADMIN_REQUIRE_2FA or request.user.is_verified()
        return verified and super().has_permission(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in models:
            model_admin = admin_class or admin.ModelAdmin
            if model._meta.app_label in TECHNICAL_APPS and not issubclass(model_admin, SuperuserOnly):
                model_admin = type(model_admin.__name__, (SuperuserOnly, model_admin), {})
            super().register(model, model_admin, **options)

    def get_urls(self):
        # Ahead of Django's own route of the same name, which redirects for
        # any staff user and so tells an editor whether a request exists.
        return [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *super().get_urls(),
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Django's redirect, for objects this user may view in the admin;
        the same 404 for "no such object" and "not yours to see"."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            raise Http404 from None
        model_admin = self.get_model_admin(model) if model is not None and self.is_registered(model) else None
        if model_admin is None or not model_admin.has_view_permission(request):
            raise Http404
        try:
            visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError, ValidationError):
            visible = False
        if not visible:
            raise Http404
        return shortcut(request, content_type_id, object_id)
