from django.conf import settings
from django.urls import path, re_path
from django.views.static import serve

from pages import views

urlpatterns = [
    path("", views.index, name="index"),
    path("health/", views.health, name="health"),
    # gunicorn does not serve files; this small app serves its collected static files itself.
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT}),
]
