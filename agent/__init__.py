"""The assistant: dialogue model, tools, guardrails, grounding check and the chat turn.

Imports `retrieval` and `knowledge`, never `ui`. Heavy objects (the model) are built by
the caller and passed in.
"""

from agent.assistant import Assistant, FinalEvent, MatchThresholds, Suggestion, TokenEvent, TurnEvent
from agent.errors import AgentError, ConversationNotFoundError, ModelUnavailableError
from agent.grounding import GroundedStream, GroundingCheck, GroundingResult, extract_claims
from agent.intent_model import SHIPPED_WEIGHTS as SHIPPED_INTENT_WEIGHTS
from agent.intent_model import IntentClassifier
from agent.llm import ChatMessage, ChatModel, TransformersChatModel, load_chat_model
from agent.model_files import MODELS
from agent.sources import Source, SourceList
from agent.tools import Shopper, ShopTools, Tool

__all__ = [
    "MODELS",
    "SHIPPED_INTENT_WEIGHTS",
    "AgentError",
    "Assistant",
    "ChatMessage",
    "ChatModel",
    "ConversationNotFoundError",
    "FinalEvent",
    "GroundedStream",
    "GroundingCheck",
    "GroundingResult",
    "IntentClassifier",
    "MatchThresholds",
    "ModelUnavailableError",
    "ShopTools",
    "Shopper",
    "Source",
    "SourceList",
    "Suggestion",
    "TokenEvent",
    "Tool",
    "TransformersChatModel",
    "TurnEvent",
    "extract_claims",
    "load_chat_model",
]
