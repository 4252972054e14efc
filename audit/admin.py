from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "actor", "squad", "target", "ip")
    list_filter = ("kind",)
    search_fields = ("target", "actor__username")
    readonly_fields = ("at", "kind", "actor", "squad", "target", "ip")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
