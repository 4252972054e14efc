from django.contrib import admin

from athletes.models import Coach, Invitation, Membership, RunnerProfile, Squad


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["runner"]


@admin.register(RunnerProfile)
class RunnerProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "height_cm", "thigh_cm", "shank_cm"]
    search_fields = ["display_name", "user__username", "user__email"]


@admin.register(Coach)
class CoachAdmin(admin.ModelAdmin):
    list_display = ["user"]
    search_fields = ["user__username"]


@admin.register(Squad)
class SquadAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["coaches"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["runner", "squad", "joined_at"]
    list_filter = ["squad"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "squad", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["squad"]
    readonly_fields = ["token_hash"]
