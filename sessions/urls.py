from django.urls import path

from sessions import views

urlpatterns = [
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/delete/", views.session_delete, name="session_delete"),
]
