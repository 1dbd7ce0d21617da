"""A person's own providers: any OpenAI-compatible server, with its key and model list.

The key is written once and never shown again: it is stored encrypted (chat/providers/secrets.py),
displayed as its last four characters, never put back into a form, and kept when the
field is left empty. Pointing a provider at another base URL takes the key again, so a
stored key is never sent to an address it was not entered for. Base URLs are checked
by chat/providers/netguard.py when saved and again before every request. Adding, changing or
deleting one asks for the person's password unless they signed in recently (reauth.py).
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from chat import web
from chat.api import failures, upstream
from chat.models import Provider
from chat.providers import netguard, reauth, secrets, upstreams

MAX_MODELS = 500
MODEL_ID_LENGTH = 200
FETCH_TIMEOUT = 10.0
KEY_AGAIN = (
    "Enter the API key again: the base URL changed, and the stored key is never sent "
    "to a new address. (Or tick “Remove the stored key”.)"
)


class ProviderForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    base_url = forms.CharField(
        label="Base URL",
        max_length=500,
        help_text="The part before /chat/completions, usually ending in /v1.",
        widget=forms.URLInput(attrs={"placeholder": "https://api.example.com/v1"}),
    )
    # Never rendered back: the browser gets an empty field, whatever is stored.
    api_key = forms.CharField(
        label="API key",
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    models = forms.CharField(
        label="Models",
        required=False,
        help_text="One model id per line. Left empty, the list is fetched from /models.",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
    )
    forget_key = forms.BooleanField(label="Remove the stored key", required=False)

    def __init__(self, *args, instance: Provider | None = None, **kwargs) -> None:
        if instance is not None:  # what is stored, the key apart
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "base_url": instance.base_url,
                    "models": "\n".join(instance.model_ids or []),
                },
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        if instance is None or not instance.api_key_encrypted:
            del self.fields["forget_key"]
        if instance is not None:
            self.fields["api_key"].help_text = "Leave empty to keep the stored key."
            self.fields["models"].help_text = "One model id per line."

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip().rstrip("/")
        if "@" in url.split("://", 1)[-1].split("/", 1)[0]:
            raise forms.ValidationError("Put credentials in the API key field, not in the URL.")
        try:
            netguard.check_base_url(url, allow_private=settings.PLAYGROUND_ALLOW_PRIVATE_UPSTREAMS)
        except netguard.Refused as refused:
            raise forms.ValidationError(str(refused)) from None
        return url

    def clean_api_key(self) -> str:
        key = self.cleaned_data["api_key"]
        if key and not (key.isascii() and key.isprintable() and " " not in key):
            # Said without quoting the key: error messages are shown and may be logged.
            raise forms.ValidationError(
                "The API key has characters an HTTP header cannot carry (spaces, quotes "
                "or non-ASCII letters)."
            )
        return key

    def clean_models(self) -> list[str]:
        ids = list(dict.fromkeys(line.strip() for line in self.cleaned_data["models"].splitlines()))
        ids = [model for model in ids if model]
        if len(ids) > MAX_MODELS:
            raise forms.ValidationError(f"At most {MAX_MODELS} models.")
        if any(len(model) > MODEL_ID_LENGTH for model in ids):
            raise forms.ValidationError(f"A model id has at most {MODEL_ID_LENGTH} characters.")
        return ids

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        stored = self.instance is not None and self.instance.api_key_encrypted
        moved = self.instance is not None and data.get("base_url") not in (
            None,
            self.instance.base_url,
        )
        if stored and moved and not data.get("api_key") and not data.get("forget_key"):
            self.add_error("api_key", KEY_AGAIN)
        return data

    @sensitive_variables("key")
    def api_key_to_use(self) -> str | None:
        """The key a request made with this (valid) form sends: typed, else stored."""
        key = self.cleaned_data.get("api_key")
        if key:
            return key
        if self.instance is None or self.cleaned_data.get("forget_key"):
            return None
        return upstreams.personal(self.instance).api_key

    @sensitive_variables("key")
    def save(self, owner) -> Provider:
        row = self.instance or Provider(owner=owner)
        row.name = self.cleaned_data["name"]
        row.base_url = self.cleaned_data["base_url"]
        row.model_ids = self.cleaned_data["models"]
        if key := self.cleaned_data["api_key"]:
            row.api_key_encrypted, row.api_key_last4 = secrets.encrypt(key), secrets.last4(key)
        elif self.cleaned_data.get("forget_key"):
            row.api_key_encrypted, row.api_key_last4 = "", ""
        row.save()
        return row


@login_required
@sensitive_post_parameters("api_key", "password")
@require_http_methods(["GET", "POST"])
def provider_list(request: HttpRequest) -> HttpResponse:
    """The person's providers, and the form that adds one."""
    form = ProviderForm(request.POST or None)
    password = reauth.password_form(request)
    if request.method == "POST" and _all_valid(request, form, password):
        if not form.cleaned_data["models"]:
            ids, problem = _fetch_models(form.cleaned_data["base_url"], form.api_key_to_use())
            form.cleaned_data["models"] = ids
            if problem:
                flash.warning(request, f"The model list could not be fetched: {problem}")
        row = form.save(request.user)
        flash.success(request, f"Added {row.name}. Choose it under Provider in a conversation.")
        return redirect("chat-providers")
    password = reauth.pending(request, password)
    context = {"form": form, "password_form": password, "rows": _rows(request.user)}
    return render(request, "providers/list.html", context)


@login_required
@sensitive_post_parameters("api_key", "password")
@require_http_methods(["GET", "POST"])
def edit_provider(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a provider; "Fetch models" fills the model list from its /models (unsaved)."""
    row = get_object_or_404(Provider, pk=pk, owner_id=request.user.pk)
    form = ProviderForm(request.POST or None, instance=row)
    password = reauth.password_form(request)
    if request.method == "POST" and request.POST.get("action") == "fetch":
        # Saves nothing, and sends a stored key only to its own base URL (see clean()).
        return _fetch_into_form(request, form, row, password)
    if request.method == "POST" and _all_valid(request, form, password):
        form.save(request.user)
        flash.success(request, f"Saved {row.name}.")
        return redirect("chat-provider", pk=row.pk)
    password = reauth.pending(request, password)
    return render(request, "providers/edit.html", _edit_context(form, row, password))


@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def delete_provider(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Provider, pk=pk, owner_id=request.user.pk)
    password = reauth.password_form(request)
    if request.method == "GET" or not reauth.confirmed(request, password):
        context = {"row": row, "password_form": password}
        return render(request, "providers/delete_confirm.html", context)
    row.delete()  # its conversations fall back to the server's default (SET_NULL)
    flash.success(request, f"Deleted {row.name} and its key.")
    return redirect("chat-providers")


@login_required
@require_POST
def provider_models(request: HttpRequest) -> HttpResponse:
    """The conversation panel's Model select for the provider just chosen there."""
    choice = request.POST.get("provider", "")
    if choice.isdigit():
        row = get_object_or_404(Provider, pk=int(choice), owner_id=request.user.pk)
        provider = upstreams.personal(row)
    elif choice == upstreams.SIMULATOR_CHOICE:
        provider = upstreams.simulator(web.server_address(request))
    elif choice == upstreams.DEFAULT_CHOICE:
        provider = upstreams.configured(web.server_address(request))
    else:
        raise Http404("No such provider.")
    options = async_to_sync(upstreams.available_models)(provider)
    current = request.POST.get("model", "")
    value = current if current in options else (options[0] if options else current)
    field = {"name": "model", "options": options or [value], "value": value}
    select = render_to_string(
        "conversations/conversation.html#model-select", {"field": field}, request
    )
    # The banner over the conversation says who answers now, without a reload.
    banner = render_to_string(
        "conversations/conversation.html#upstream-banner", {"provider": provider}, request
    )
    return HttpResponse(
        select
        + format_html(
            '<hx-partial hx-target="#upstream-banner" hx-swap="outerHTML">{}</hx-partial>',
            banner,  # safe: the template escaped what it holds
        )
    )


def _all_valid(
    request: HttpRequest, form: ProviderForm, password: reauth.PasswordForm | None
) -> bool:
    """Both forms valid: every error is shown at once, and nothing is saved without both."""
    valid = form.is_valid()
    return reauth.confirmed(request, password) and valid


def _rows(owner) -> list[dict]:
    return [
        {"row": row, "key": _masked(row), "model_count": len(row.model_ids or [])}
        for row in Provider.objects.filter(owner_id=owner.pk)
    ]


def _masked(row: Provider) -> str:
    return secrets.masked(row.api_key_last4) if row.api_key_encrypted else ""


def _edit_context(
    form: ProviderForm, row: Provider, password: reauth.PasswordForm | None, **extra
) -> dict:
    return {"form": form, "row": row, "key": _masked(row), "password_form": password, **extra}


@sensitive_variables("key")
def _fetch_into_form(
    request: HttpRequest,
    form: ProviderForm,
    row: Provider,
    password: reauth.PasswordForm | None,
) -> HttpResponse:
    """The form again with the fetched model ids in its Models field; nothing is saved."""
    fetched = None
    if form.is_valid():
        key = form.api_key_to_use()
        ids, problem = _fetch_models(form.cleaned_data["base_url"], key)
        if not problem:
            data = request.POST.copy()  # what the form was made of, made mutable
            data["models"] = "\n".join(ids)
            form = ProviderForm(data, instance=row)
            fetched = f"Fetched {len(ids)} models: save to keep them."
    else:
        problem = "Fix the form first: " + " ".join(
            str(message) for errors in form.errors.values() for message in errors
        )
    if password is not None:  # not asked for a fetch: shown again empty, without an error
        password = reauth.PasswordForm(user=request.user)
    context = _edit_context(form, row, password, fetch_problem=problem, fetched=fetched)
    template = "providers/edit.html"
    if web.is_htmx(request):
        template += "#models-field"  # the typed key stays in the page's own form
    return render(request, template, context)


@sensitive_variables("api_key")
def _fetch_models(base_url: str, api_key: str | None) -> tuple[list[str], str | None]:
    """The provider's model ids and no problem, or none and what went wrong."""

    async def fetch() -> list[str]:
        async with upstreams.make_personal_client() as client:
            return await upstream.list_models(client, base_url, api_key, FETCH_TIMEOUT)

    try:
        ids = async_to_sync(fetch)()
    except failures.UpstreamFailure as failure:
        return [], failure.error.describe()
    return ids[:MAX_MODELS], None
