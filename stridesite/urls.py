from django.contrib import admin
from django.urls import include, path

from athletes.throttle import ThrottledPasswordResetView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/password_reset/", ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("athletes.urls")),
    path("", include("sessions.urls")),
    path("", include("audit.urls")),
    path("", include("api.urls")),
    path("", include("ingest.urls")),
]
