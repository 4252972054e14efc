from django.urls import path

from athletes import views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.runner_home, name="runner_home"),
    path("me/profile/", views.profile_edit, name="profile_edit"),
    path("me/leggings/", views.my_leggings, name="my_leggings"),
    path("me/station/", views.home_station_create, name="home_station_create"),
    path("me/station/<int:station_id>/revoke/", views.home_station_revoke, name="home_station_revoke"),
    path("runners/<int:runner_id>/", views.runner_detail, name="runner_detail"),
    path("runners/<int:runner_id>/zones/", views.runner_zones, name="runner_zones"),
    path("coach/", views.coach_home, name="coach_home"),
    path("squads/<int:squad_id>/", views.squad_detail, name="squad_detail"),
    path("squads/<int:squad_id>/invite/", views.squad_invite, name="squad_invite"),
    path(
        "squads/<int:squad_id>/invitations/<int:invitation_id>/cancel/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    path(
        "squads/<int:squad_id>/runners/<int:runner_id>/remove/",
        views.squad_remove_runner,
        name="squad_remove_runner",
    ),
    path("squads/<int:squad_id>/leggings/", views.squad_assign_leggings, name="squad_assign_leggings"),
    path("squads/<int:squad_id>/leggings/new/", views.squad_register_leggings,
         name="squad_register_leggings"),
    path("squads/<int:squad_id>/stations/", views.station_create, name="station_create"),
    path(
        "squads/<int:squad_id>/stations/<int:station_id>/revoke/",
        views.station_revoke,
        name="station_revoke",
    ),
    path("squads/<int:squad_id>/leave/", views.squad_leave, name="squad_leave"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
