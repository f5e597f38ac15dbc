from django.urls import path

from intake import caseworker_views

app_name = "caseworker"

urlpatterns = [
    path("", caseworker_views.queue, name="queue"),
    path("conduct/", caseworker_views.conduct, name="conduct"),
    path("invitation/<str:uidb64>/<str:token>/", caseworker_views.invitation, name="invitation"),
]
