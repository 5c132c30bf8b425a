from django.contrib import admin, messages

from . import outbox
from .models import OutgoingMessage


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["bookings/admin.css"]}

    list_display = [
        "created",
        "kind",
        "channel",
        "consultation",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind", "channel", "created"]
    list_select_related = ["consultation"]
    search_fields = ["=consultation__reference"]
    search_help_text = "Search by request reference."
    date_hierarchy = "created"
    actions = ["send_again"]
    fields = [*list_display[1:], "appointment", "claimed_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request):
        return request.user.has_perm("bookings.change_consultationrequest")

    @admin.action(description="Send again", permissions=["send"])
    def send_again(self, request, queryset):
        count = outbox.send_again(queryset.select_related("consultation", "appointment"))
        self.message_user(request, f"{count} message(s) queued to send again.", messages.SUCCESS)
        if count < queryset.count():
            self.message_user(request, "Messages being sent right now were left alone.", messages.WARNING)
