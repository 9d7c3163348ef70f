import platform

import django
from django.http import JsonResponse
from django.shortcuts import render


def index(request):
    return render(request, "pages/index.html", {"django_version": django.get_version(), "python_version": platform.python_version()})


def health(request):
    return JsonResponse({"status": "ok"})
