"""Accounts: sign-up (sign-in, sign-out and the password change are Django's own views)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chat.limits import signups


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.PLAYGROUND_SIGNUP_ENABLED:
        raise Http404("Sign-up is closed on this server.")
    if request.user.is_authenticated:
        return redirect("chat-home")
    form: UserCreationForm[User] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refused = signups.refusal(request)
        if refused:
            form.add_error(None, refused)
            return render(request, "registration/signup.html", {"form": form}, status=429)
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat-home")
    return render(request, "registration/signup.html", {"form": form})
