from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from chat.models import Conversation, Message, ModelPrice


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("role", "choice_index", "status", "model", "finish_reason", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "owner", "started_at", "updated_at")
    list_select_related = ("owner",)
    search_fields = ("title", "owner__username")
    readonly_fields = ("created_at", "updated_at", "started_at")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "conversation", "role", "status", "model", "finish_reason", "created_at")
    list_filter = ("role", "status")
    list_select_related = ("conversation",)
    search_fields = ("content",)
    raw_id_fields = ("conversation", "parent")
    readonly_fields = ("created_at", "updated_at", "revision")


class ModelPriceForm(forms.ModelForm):
    class Meta:
        model = ModelPrice
        fields = (
            "model",
            "input_per_million",
            "cached_input_per_million",
            "output_per_million",
            "confirmed",
            "note",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        missing = [
            name
            for name in ("input_per_million", "output_per_million")
            if data.get("confirmed") and data.get(name) is None
        ]
        for name in missing:
            self.add_error(name, "Set this price before confirming the row.")
        return data


@admin.register(ModelPrice)
class ModelPriceAdmin(admin.ModelAdmin):
    """The price table. Rows stay "set your prices" (costs unknown) until someone
    enters what they pay and ticks Confirmed."""

    form = ModelPriceForm
    list_display = (
        "model",
        "input_per_million",
        "cached_input_per_million",
        "output_per_million",
        "currency",
        "status",
        "updated_at",
    )
    list_filter = ("confirmed",)
    search_fields = ("model",)
    readonly_fields = ("currency", "updated_at")
    fieldsets = (
        (None, {"fields": ("model", "note")}),
        (
            "Per million tokens",
            {
                "fields": (
                    "currency",
                    "input_per_million",
                    "cached_input_per_million",
                    "output_per_million",
                )
            },
        ),
        (None, {"fields": ("confirmed", "updated_at")}),
    )

    # Every staff member may set prices (the issue asks for exactly that), without
    # being granted the model's permissions one by one; deleting a row still needs them.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: ModelPrice | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: ModelPrice | None = None) -> bool:
        return self.has_module_permission(request)

    @admin.display(description="currency")
    def currency(self, row: ModelPrice) -> str:
        # One currency for the whole table, set by the operator (PLAYGROUND_CURRENCY).
        return settings.PLAYGROUND_CURRENCY

    @admin.display(description="status", ordering="confirmed")
    def status(self, row: ModelPrice) -> str:
        return "confirmed" if row.confirmed else "set your prices"
