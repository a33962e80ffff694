"""The assistant: dialogue model, tools, guardrails, grounding check and the chat turn; promo
copy (written, checked, A/B-tested with Thompson sampling) and its effect prediction.

Imports `retrieval` and `knowledge`, never `ui`. Heavy objects (the model) are built by
the caller and passed in.
"""

from agent.assistant import Assistant, FinalEvent, MatchThresholds, Suggestion, TokenEvent, TurnEvent
from agent.cpu_features import describe_cpu, has_native_bf16
from agent.errors import AgentError, ConversationNotFoundError, ModelUnavailableError
from agent.experiments import (
    ExperimentResult,
    PromoExperiment,
    ThompsonBandit,
    VariantResult,
    wilson_interval,
)
from agent.finetune import FinetuneConfig, FinetuneResult, TrainingLog, finetune
from agent.grounding import GroundedStream, GroundingCheck, GroundingResult, extract_claims
from agent.intent_model import SHIPPED_WEIGHTS as SHIPPED_INTENT_WEIGHTS
from agent.intent_model import IntentClassifier
from agent.llamacpp import EngineUnavailableError
from agent.llm import BACKENDS, Backend, ChatMessage, ChatModel, TransformersChatModel, load_chat_model
from agent.model_files import MODELS, SHIPPED_ADAPTERS, adapter_base
from agent.pii import redact
from agent.promo import PROMO_ANGLES, PromoBatch, PromoDraft, PromoWriter
from agent.promo_check import PromoCheck, PromoFix
from agent.promo_effect import EffectPredictor, PromoExample
from agent.sources import Source, SourceList
from agent.tools import Shopper, ShopTools, Tool
from agent.training_data import (
    DatasetConfig,
    DialogueExample,
    build_dataset,
    read_jsonl,
    rebuild_sources,
    write_jsonl,
)

__all__ = [
    "BACKENDS",
    "MODELS",
    "PROMO_ANGLES",
    "SHIPPED_ADAPTERS",
    "SHIPPED_INTENT_WEIGHTS",
    "AgentError",
    "Assistant",
    "Backend",
    "ChatMessage",
    "ChatModel",
    "ConversationNotFoundError",
    "DatasetConfig",
    "DialogueExample",
    "EffectPredictor",
    "EngineUnavailableError",
    "ExperimentResult",
    "FinalEvent",
    "FinetuneConfig",
    "FinetuneResult",
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
    "TrainingLog",
    "TransformersChatModel",
    "TurnEvent",
    "VariantResult",
    "adapter_base",
    "build_dataset",
    "describe_cpu",
    "extract_claims",
    "finetune",
    "has_native_bf16",
    "load_chat_model",
    "read_jsonl",
    "rebuild_sources",
    "redact",
    "wilson_interval",
    "write_jsonl",
]
