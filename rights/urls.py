from django.urls import path

from rights import views

app_name = "rights"

urlpatterns = [
    path("", views.index, name="index"),
    path("glossary/", views.glossary, name="glossary"),
    path("search/", views.search_view, name="search"),
    path("<slug:slug>/", views.explainer, name="explainer"),
]
