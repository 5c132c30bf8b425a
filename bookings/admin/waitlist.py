"""The waitlist, for reception to see and edit: who waits for what, and the
freed times each was offered."""

from django.contrib import admin

from ..models import WaitlistEntry, WaitlistOffer


class WaitlistOfferInline(admin.TabularInline):
    model = WaitlistOffer
    fields = ["specialist", "start", "expires_at", "claimed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["consultation", "specialist", "mode", "weekdays", "day_parts", "status", "expires_at"]
    list_filter = ["status", "mode", "specialist"]
    list_select_related = ["consultation", "specialist"]
    fields = ["consultation", "specialist", "mode", "weekdays", "day_parts", "status", "expires_at"]
    readonly_fields = ["consultation"]
    inlines = [WaitlistOfferInline]

    def has_add_permission(self, request):
        # Visitors join from their own page, where they say what suits them.
        return False
