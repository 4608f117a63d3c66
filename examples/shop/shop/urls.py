from django.urls import path

from shop import views

urlpatterns = [
    path("", views.index),
    path("healthz", views.healthz),
    path("readyz", views.readyz),
    path("whoami", views.whoami),
]
