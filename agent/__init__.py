"""The assistant: dialogue model, tools, guardrails, grounding check and the chat turn; promo
copy (written, checked, A/B-tested with Thompson sampling) and its effect prediction.

Imports `retrieval` and `knowledge`, never `ui`. Heavy objects (the model) are built by
the caller and passed in.
"""

from agent.assistant import Assistant, FinalEvent, MatchThresholds, Suggestion, TokenEvent, TurnEvent
from agent.errors import AgentError, ConversationNotFoundError, ModelUnavailableError
from agent.experiments import (
    ExperimentResult,
    PromoExperiment,
    ThompsonBandit,
    VariantResult,
    wilson_interval,
)
from agent.grounding import GroundedStream, GroundingCheck, GroundingResult, extract_claims
from agent.intent_model import SHIPPED_WEIGHTS as SHIPPED_INTENT_WEIGHTS
from agent.intent_model import IntentClassifier
from agent.llm import ChatMessage, ChatModel, TransformersChatModel, load_chat_model
from agent.model_files import MODELS
from agent.pii import redact
from agent.promo import PROMO_ANGLES, PromoBatch, PromoDraft, PromoWriter
from agent.promo_check import PromoCheck, PromoFix
from agent.promo_effect import EffectPredictor, PromoExample
from agent.sources import Source, SourceList
from agent.tools import Shopper, ShopTools, Tool

__all__ = [
    "MODELS",
    "PROMO_ANGLES",
    "SHIPPED_INTENT_WEIGHTS",
    "AgentError",
    "Assistant",
    "ChatMessage",
    "ChatModel",
    "ConversationNotFoundError",
    "EffectPredictor",
    "ExperimentResult",
    "FinalEvent",
    "GroundedStream",
    "GroundingCheck",
    "GroundingResult",
    "IntentClassifier",
    "MatchThresholds",
    "ModelUnavailableError",
    "PromoBatch",
    "PromoCheck",
    "PromoDraft",
    "PromoExample",
    "PromoExperiment",
    "PromoFix",
    "PromoWriter",
    "ShopTools",
    "Shopper",
    "Source",
    "SourceList",
    "Suggestion",
    "ThompsonBandit",
    "TokenEvent",
    "Tool",
    "TransformersChatModel",
    "TurnEvent",
    "VariantResult",
    "extract_claims",
    "load_chat_model",
    "redact",
    "wilson_interval",
]
