from django.urls import path

from ingest import views

urlpatterns = [
    path("ingest/station/", views.station, name="ingest_station"),
    path("ingest/runs/", views.run_offer, name="ingest_run_offer"),
    path("ingest/runs/uploads/<int:upload_id>/", views.run_part, name="ingest_run_part"),
    path("ingest/runs/uploads/<int:upload_id>/finish/", views.run_finish, name="ingest_run_finish"),
]
