from django.contrib import admin

from ingest.models import IngestStation, Leggings


@admin.register(Leggings)
class LeggingsAdmin(admin.ModelAdmin):
    list_display = ["serial", "ble_name", "ble_address", "owner", "runner"]
    search_fields = ["serial", "ble_name", "ble_address"]


@admin.register(IngestStation)
class IngestStationAdmin(admin.ModelAdmin):
    list_display = ["name", "coach", "token_hint", "created_at", "revoked_at"]
    readonly_fields = ["token_hash", "token_hint"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected stations' tokens")
    def revoke(self, request, queryset) -> None:
        for station in queryset:
            station.revoke()
