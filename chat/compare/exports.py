"""A comparison taken out of the app: the snapshot a share link shows, and the JSON,
Markdown and CSV downloads.

The prompt path's images are those on the comparison's hidden conversation (where a run
puts them, chat/compare/runs.py), named by key in Comparison.messages.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from chat.compare import metrics, turns
from chat.compare.results import RunView, results
from chat.conversations import attachments, copies
from chat.conversations import exports as conversation_exports
from chat.conversations.exports import TIMINGS
from chat.models import Attachment, Comparison, Message
from chat.pricing import prices

SNAPSHOT_VERSION = 1
EXPORT_FORMAT = "reasoning-playground-comparison/1"

# What a share snapshot keeps of a prompt's image: its key (the link serves it by that
# key, and only those its snapshot names) and what the page needs to show it.
SHARED_IMAGE_FIELDS = ("key", "content_type", "size", "width", "height")

# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# -- a share link's snapshot -------------------------------------------------------------


def snapshot(comparison: Comparison, include_reasoning: bool) -> dict[str, object]:
    """What a share link shows, as plain JSON: no owner, no ids, no upstream, no errors."""
    view = results(comparison)
    return {
        "version": SNAPSHOT_VERSION,
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": _shared_messages(comparison, include_reasoning),
        "repeats": comparison.repeats,
        "include_reasoning": include_reasoning,
        "columns": [
            {
                "label": column.label,
                "name": column.name,
                "differences": [[label, value] for label, value in column.differences],
                "runs": [_shared_run(run, include_reasoning) for run in column.runs],
            }
            for column in view.columns
        ],
        "headers": [[label, unit] for label, unit in view.headers],
        "rows": view.rows,
        "json_mode": view.json_mode,
        "chart": view.chart,
    }


def prompt_images(comparison: Comparison) -> dict[str, Attachment]:
    """The prompt path's images by key: on its hidden conversation, once it has run."""
    keys = turns.image_keys(comparison.messages)
    if comparison.conversation_id is None or not keys:
        return {}
    found = Attachment.objects.filter(
        message__conversation_id=comparison.conversation_id, key__in=keys
    )
    return {image.key: image for image in found}


def shared_image_keys(shared: Mapping[str, Any]) -> set[str]:
    """The keys of every image a snapshot shows: all its link may serve."""
    return {
        str(image.get("key"))
        for message in shared.get("messages") or []
        for image in message.get("images") or []
    }


def _shared_messages(comparison: Comparison, include_reasoning: bool) -> list[dict[str, object]]:
    images = prompt_images(comparison)
    shared = []
    for message in comparison.messages:
        entry: dict[str, object] = {"role": message["role"], "content": message["content"]}
        kept = [images[key] for key in message.get("images") or [] if key in images]
        if kept:
            entry["images"] = [
                {name: getattr(image, name) for name in SHARED_IMAGE_FIELDS} for image in kept
            ]
        if message.get("tool_calls"):
            entry["tool_calls"] = message["tool_calls"]
            if include_reasoning:
                entry["reasoning"] = message.get("reasoning") or ""
        if message.get("tool_results"):
            entry["tool_results"] = message["tool_results"]
        shared.append(entry)
    return shared


def _shared_run(run: RunView, include_reasoning: bool) -> dict[str, object]:
    message = run.message
    status = Message.Status.INTERRUPTED if run.active else message.status
    return {
        "label": run.label,
        "status": status,
        "model": message.model,
        "content": message.content,
        "refusal": message.refusal,
        "reasoning": message.reasoning if include_reasoning else "",
        "tool_calls": message.tool_calls,
        "finish_reason": message.finish_reason,
        "sent": _pairs(run.card["sent"]),
        "metrics": _pairs(run.card["metrics"]),
    }


def _pairs(pairs: object) -> list[list[str]]:
    # cards.card holds its (label, value) pairs under "sent" and "metrics".
    return [[str(label), str(value)] for label, value in cast(list[tuple[str, str]], pairs)]


# -- the JSON export -----------------------------------------------------------------------


def export_data(comparison: Comparison) -> dict[str, object]:
    """The JSON export: the settings to run it again, every run, and each column's summary."""
    view = results(comparison)
    return {
        "format": EXPORT_FORMAT,
        "title": comparison.display_title,
        "system_prompt": comparison.system_prompt,
        "messages": _exported_messages(comparison),
        "columns": comparison.columns,
        "sweep": comparison.sweep,
        "repeats": comparison.repeats,
        "created_at": comparison.created_at.isoformat(),
        "runs": [_exported_run(run) for run in view.runs],
        # Each run's and column's "cost", in this currency at the prices of export time.
        "currency": prices.currency(),
        "summaries": [
            {
                "column": column.number,
                "label": column.name,
                **(column.summary or {}),
                "cost": _amount(column.spent.exact if column.spent else None),
            }
            for column in view.columns
        ],
    }


def _exported_messages(comparison: Comparison) -> list[dict[str, object]]:
    """The prompt path with each image's file in base64 (as a conversation's export
    holds it), and the tool turns as they were sent."""
    images = prompt_images(comparison)
    exported = []
    for message in comparison.messages:
        entry = {k: v for k, v in message.items() if k != "images"}
        kept = [images[key] for key in message.get("images") or [] if key in images]
        if kept:
            entry["images"] = [_image_record(image, with_data=True) for image in kept]
        exported.append(entry)
    return exported


def _image_record(image: Attachment, with_data: bool) -> dict[str, object]:
    data = base64.b64encode(attachments.read(image)).decode("ascii") if with_data else None
    return {
        "name": image.filename,
        "content_type": image.content_type,
        "size": image.size,
        "width": image.width,
        "height": image.height,
        "data": data,
    }


def _exported_run(run: RunView) -> dict[str, object]:
    message = run.message
    return {
        "column": run.run.column + 1,
        "repeat": run.run.repeat + 1,
        "choice": run.run.choice + 1,
        "status": message.status,
        "model": message.model,
        "request_params": message.request_params,
        "content": message.content,
        "refusal": message.refusal,
        "reasoning": message.reasoning,
        "tool_calls": message.tool_calls,
        "usage": message.usage,
        "finish_reason": message.finish_reason,
        "timings": {name: _iso(getattr(message, name)) for name in TIMINGS},
        "metrics": run.metrics,
        "cost": _amount(run.amount),
    }


def _amount(value: Decimal | None) -> str | None:
    # A decimal string, exact (a JSON float would round it); None: unknown.
    return None if value is None else f"{value.normalize():f}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- the Markdown export -------------------------------------------------------------------


def markdown(comparison: Comparison) -> str:
    """The comparison as a document a person reads: the prompt path (images as a note),
    then every run's answer with the parameters it was sent, in the conversation export's
    own words (chat/conversations/exports.py writes every part of it)."""
    images = prompt_images(comparison)
    prompt = [
        _prompt_record(index, message, images) for index, message in enumerate(comparison.messages)
    ]
    parts = [
        _document(
            comparison.display_title,
            comparison.system_prompt,
            prompt,
            prompt[-1]["id"] if prompt else None,
        )
    ]
    for run in results(comparison).runs:
        answer = _run_record(run.message)
        parts.append(_document(run.label, "", [answer], answer["id"]))
    return "\n".join(parts)


def _document(title: str, system_prompt: str, records: list[dict[str, Any]], leaf: object) -> str:
    data = conversation_exports.export_data(
        title=title, system_prompt=system_prompt, settings={}, records=records, leaf_id=leaf
    )
    return conversation_exports.export_markdown(data)


def _prompt_record(
    index: int, message: Mapping[str, Any], images: Mapping[str, Attachment]
) -> dict[str, Any]:
    """A message of the prompt path as an export record (see exports.export_data)."""
    kept = [images[key] for key in message.get("images") or [] if key in images]
    return {
        "id": index + 1,
        "parent": index or None,
        "role": message["role"],
        "content": message.get("content") or "",
        "reasoning": message.get("reasoning") or "",
        "tool_calls": message.get("tool_calls"),
        "tool_results": message.get("tool_results"),
        "images": [_image_record(image, with_data=False) for image in kept],
    }


def _run_record(message: Message) -> dict[str, Any]:
    """A run's answer as an export record, alone on its path. Its error text is left out,
    as from the JSON export: it may name the server's upstream."""
    record: dict[str, Any] = {name: getattr(message, name) for name in copies.IMPORTED_FIELDS}
    record.update(id=message.pk, parent=None, batch=message.batch, error="")
    record["timings"] = {name: getattr(message, name) for name in TIMINGS}
    return record


# -- the CSV export ------------------------------------------------------------------------


def csv_rows(comparison: Comparison) -> list[list[str]]:
    """The CSV download: a row per column, labelled with what sets it apart."""
    view = results(comparison)
    labels = [column.title for column in view.columns]
    return summary_rows(labels, [column.summary for column in view.columns])


def summary_rows(
    columns_labels: Sequence[str], summaries: Sequence[Mapping[str, object] | None]
) -> list[list[str]]:
    """A header and one row per column, for the caller to write with the csv module.

    A row holds the column's label, the mean of each METRICS key (blank when
    unknown), the number of runs, the identical-answer counts and, for columns
    run in JSON mode, the valid-JSON, agreeing-field and field counts (blank
    otherwise). A label a spreadsheet would run as a formula gets a leading "'".
    """
    header = [
        "Column",
        *(f"{label} ({unit})" for _, label, unit in metrics.METRICS),
        "Runs",
        "Identical answers",
        "Identical answers (normalized)",
        "Valid JSON",
        "Agreeing JSON fields",
        "JSON fields",
    ]
    rows = [header]
    for label, summary in zip(columns_labels, summaries, strict=True):
        known: Mapping[str, object] = summary or {}
        means = [_csv_number(_mean(known.get(key))) for key, _, _ in metrics.METRICS]
        json_counts = [
            _csv_number(known.get("json_valid")),
            _csv_count(known.get("json_agreeing_fields")),
            _csv_count(known.get("json_fields")),
        ]
        rows.append(
            [
                csv_safe(label),
                *means,
                _csv_number(known.get("runs")),
                _csv_number(known.get("identical_exact")),
                _csv_number(known.get("identical_normalized")),
                *json_counts,
            ]
        )
    return rows


def _mean(spread: object) -> object:
    return spread.get("mean") if isinstance(spread, Mapping) else None


def _csv_number(value: object) -> str:
    if not metrics.is_number(value):
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _csv_count(value: object) -> str:
    return str(len(value)) if isinstance(value, list | tuple) else ""


def csv_safe(text: str) -> str:
    """The text as a spreadsheet cell that is never run as a formula (a leading "'"),
    numbers such as "-1" kept as they are."""
    if text.startswith(_FORMULA_STARTS):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text
