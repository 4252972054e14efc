from django.urls import path

from api import views
from api.endpoints import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("me/api-tokens/", views.tokens, name="api_tokens"),
    path("me/api-tokens/<int:token_id>/revoke/", views.revoke, name="api_token_revoke"),
]
