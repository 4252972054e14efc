from django.urls import path

from sessions import views

urlpatterns = [
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/delete/", views.session_delete, name="session_delete"),
    path("sessions/<int:session_id>/charts/", views.session_charts, name="session_charts"),
    path("sessions/<int:session_id>/strides/<int:stride_id>/", views.stride_trace, name="stride_trace"),
    path("sessions/<int:session_id>/strides.csv", views.export_strides, name="export_strides"),
    path("sessions/<int:session_id>/raw.csv", views.export_raw, name="export_raw"),
    path("sessions/<int:session_id>/session.fit", views.export_fit, name="export_fit"),
    path("sessions/<int:session_id>/notes/", views.session_notes, name="session_notes"),
    path("sessions/upload/", views.upload, name="session_upload"),
    path("sessions/<int:session_id>/upload/", views.upload_status, name="upload_status"),
    path("sessions/upload/start/", views.upload_start, name="upload_start"),
    path("sessions/upload/<int:upload_id>/part/", views.upload_part, name="upload_part"),
    path("sessions/upload/<int:upload_id>/finish/", views.upload_finish, name="upload_finish"),
    path("runners/<int:runner_id>/trends/", views.runner_trends, name="runner_trends"),
    path("squads/<int:squad_id>/overview/", views.squad_overview, name="squad_overview"),
    path("squads/<int:squad_id>/compare/", views.squad_compare, name="squad_compare"),
    path("live/squad/<int:squad_id>/", views.live_squad, name="live_squad"),
    path("live/runner/<int:runner_id>/", views.live_runner, name="live_runner"),
]
