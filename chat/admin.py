from django.contrib import admin

from chat.models import Conversation, Message


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
