"""Share links of comparisons: a read-only snapshot of the prompt, every column's
settings and runs, the summary table and the chart, taken when the link is made."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import web
from chat.compare import exports, results
from chat.conversations import attachments
from chat.models import Attachment, Comparison, ComparisonShareLink
from chat.sharing import links
from chat.web import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def share_comparison(request: AuthedRequest, pk: int) -> HttpResponse:
    """The comparison's links, and the form that makes one (a snapshot taken now)."""
    comparison = get_object_or_404(Comparison.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        limits, problem = links.read_limits(request)
        if problem:
            flash.error(request, problem)
            return redirect("chat-compare-share", pk=pk)
        include_reasoning = bool(request.POST.get("include_reasoning"))
        ComparisonShareLink.objects.create(
            owner=request.user,
            comparison=comparison,
            include_reasoning=include_reasoning,
            snapshot=exports.snapshot(comparison, include_reasoning),
            **links.limits_fields(limits, timezone.now()),
        )
        flash.success(request, "Share link created: copy it from the list below.")
        return redirect("chat-compare-share", pk=pk)
    mine = ComparisonShareLink.objects.owned_by(request.user).filter(comparison=comparison)
    context = {
        "comparison": comparison,
        "links": web.with_absolute_urls(request, mine.order_by("-created_at", "-id")),
        "revoked": links.just_revoked(request, ComparisonShareLink.objects.all()),
    }
    return render(request, "compare/share.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def revoke_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.revoke(request, ComparisonShareLink.objects.all(), token, _back)


@login_required
@require_POST
def restore_share(request: AuthedRequest, token: str) -> HttpResponse:
    return links.restore(request, ComparisonShareLink.objects.all(), token, _back)


@login_required
@require_POST
def share_limits(request: AuthedRequest, token: str) -> HttpResponse:
    return links.change_limits(request, ComparisonShareLink.objects.all(), token, _back)


def _back(link: ComparisonShareLink) -> str:
    return reverse("chat-compare-share", args=[link.comparison_id])


@web.public_page
@require_GET
def shared_comparison(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only page of an open link, counted as a view: the snapshot
    alone, nothing of its owner."""
    link = links.view_or_404(ComparisonShareLink.objects.all(), token)
    shared = link.snapshot
    rows = shared.get("rows") or []
    context = {
        "shared": shared,
        "token": link.token,
        "ticket": links.ticket(link.token),
        "shared_at": link.created_at,
        "headers": shared.get("headers") or [],
        "rows": rows,
        "json_mode": shared.get("json_mode"),
        "chart_svg": results.render_chart(shared.get("chart") or {}),
        "has_summary": any(row.get("runs") for row in rows),
    }
    return render(request, "compare/shared.html", context)


@require_GET
def shared_comparison_image(request: HttpRequest, token: str, key: str) -> HttpResponseBase:
    """An image of the prompt the snapshot of an open link shows, to anyone holding the
    link (with the page view's ticket, not counted again); any other key (another
    comparison's, a conversation's) is a 404 here."""
    comparisons = ComparisonShareLink.objects.select_related("comparison")
    link = links.within_view_or_404(comparisons, token, links.ticket_of(request))
    if key not in exports.shared_image_keys(link.snapshot):
        raise Http404("No such image in this share.")
    comparison = link.comparison
    if comparison.conversation_id is None:
        raise Http404("No such image in this share.")
    image = get_object_or_404(
        Attachment, key=key, message__conversation_id=comparison.conversation_id
    )
    response = attachments.file_response(image)
    for name, value in web.PUBLIC_HEADERS.items():
        response.headers[name] = value
    return response
