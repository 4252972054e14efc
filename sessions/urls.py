from django.urls import path

from sessions import views

urlpatterns = [
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/delete/", views.session_delete, name="session_delete"),
    path("live/squad/<int:squad_id>/", views.live_squad, name="live_squad"),
    path("live/runner/<int:runner_id>/", views.live_runner, name="live_runner"),
]
