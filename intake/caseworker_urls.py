from django.urls import path

from intake import caseworker_views

app_name = "caseworker"

urlpatterns = [
    path("", caseworker_views.queue, name="queue"),
    path("conduct/", caseworker_views.conduct, name="conduct"),
    path("team/", caseworker_views.team, name="team"),
    path("team/<int:user_id>/vet/", caseworker_views.vet, name="vet"),
    path("team/<int:user_id>/suspend/", caseworker_views.suspend, name="suspend"),
    path("invitation/<str:uidb64>/<str:token>/", caseworker_views.invitation, name="invitation"),
]
