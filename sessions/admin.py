from django.contrib import admin

from sessions.models import RunSession


@admin.register(RunSession)
class RunSessionAdmin(admin.ModelAdmin):
    list_display = ["runner", "started_at", "ended_at", "status", "source", "sample_rate_hz"]
    list_filter = ["status", "source"]
    search_fields = ["runner__display_name"]
