from django.contrib import admin

from metrics.models import StrideRecord, ZoneOverride


@admin.register(StrideRecord)
class StrideRecordAdmin(admin.ModelAdmin):
    list_display = ["session", "leg", "t_start", "kickback_deg", "knee_elevation_deg", "pace_band"]
    list_filter = ["leg", "pace_band"]


@admin.register(ZoneOverride)
class ZoneOverrideAdmin(admin.ModelAdmin):
    list_display = ["runner", "band", "metric", "low", "high", "set_by", "set_at"]
    list_filter = ["band", "metric"]
