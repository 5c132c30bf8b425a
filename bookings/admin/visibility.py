"""Every admin page of one request or appointment shows only what its change
view would: get_queryset (bookings/access.py) decides, and the rest is 404.
django-simple-history's views look objects up on their own, so they are
checked here too; its history entries are read-only records."""

from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin


class VisibleOnlyAdmin(SimpleHistoryAdmin):
    def visible_or_404(self, request, object_id):
        """The object, if this user's queryset holds it; the same 404 for
        "no such object" and "not yours to see"."""
        obj = self.get_object(request, unquote(str(object_id)))
        if obj is None:
            raise Http404
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.visible_or_404(request, object_id)
        # Its POST would save the old version over the current one.
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)
