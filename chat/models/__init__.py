"""The app's models, one module per feature; importable from here as Django expects."""

from chat.models.attachments import Attachment, AttachmentQuerySet
from chat.models.blind import BlindTrial, BlindTrialQuerySet
from chat.models.compare import Comparison, ComparisonQuerySet, ComparisonRun
from chat.models.conversations import (
    STALE_AFTER,
    TITLE_LENGTH,
    Conversation,
    ConversationQuerySet,
    Message,
    title_from_prompt,
)
from chat.models.evals import (
    Evaluation,
    EvaluationJudgement,
    EvaluationQuerySet,
    EvaluationRow,
    EvaluationRun,
    EvaluationShareLink,
)
from chat.models.pricing import ModelPrice
from chat.models.prompts import PromptVersion, SavedPrompt
from chat.models.providers import Provider
from chat.models.sharing import ComparisonShareLink, PromptShareLink, ShareLink, new_share_token

__all__ = [
    "STALE_AFTER",
    "TITLE_LENGTH",
    "Attachment",
    "AttachmentQuerySet",
    "BlindTrial",
    "BlindTrialQuerySet",
    "Comparison",
    "ComparisonQuerySet",
    "ComparisonRun",
    "ComparisonShareLink",
    "Conversation",
    "ConversationQuerySet",
    "Evaluation",
    "EvaluationJudgement",
    "EvaluationQuerySet",
    "EvaluationRow",
    "EvaluationRun",
    "EvaluationShareLink",
    "Message",
    "ModelPrice",
    "PromptShareLink",
    "PromptVersion",
    "Provider",
    "SavedPrompt",
    "ShareLink",
    "new_share_token",
    "title_from_prompt",
]
