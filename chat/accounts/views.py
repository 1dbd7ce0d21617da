"""Accounts: sign-up and sign-in (sign-out and the password change are Django's own
views). Both land on a conversation ready for a first prompt: they are POSTs, so they
may make one, which the home page (a GET) may not."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chat.conversations import starting
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
        starting.untouched_or_new(user)
        return redirect("chat-home")
    return render(request, "registration/signup.html", {"form": form})


class SignInView(auth_views.LoginView):
    """Django's sign-in, which also readies the conversation the home page opens."""

    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        starting.untouched_or_new(form.get_user())
        return response
