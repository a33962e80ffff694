"""The store's facts: catalog, policies, customers, orders and events.

Typed models (which are also the store-folder row schemas), the store-folder loader that
reports bad rows by file and line, and the SQL database that holds the facts. Imports
nothing from the other Aisle packages.
"""

from pathlib import Path

from knowledge.catalog import Product, Review, Variant
from knowledge.conversations import (
    UNRESOLVED_OUTCOMES,
    Citation,
    Conversation,
    ConversationStore,
    Message,
    Verdict,
)
from knowledge.customers import Address, Customer, PaymentMethod
from knowledge.database import StoreDatabase, SyncCounts, content_hash
from knowledge.errors import KnowledgeError, NotFoundError, StoreFolderError
from knowledge.events import EVENT_KINDS, Event, EventKind, Placement
from knowledge.orders import ORDER_STATUSES, Order, OrderItem, OrderStatus, Payment, Shipment
from knowledge.policies import Policy, PolicyPassage, parse_policy
from knowledge.privacy import ForgetReport, ShopperData, ShopperExport
from knowledge.profiles import (
    EVENT_WEIGHTS,
    Preference,
    PreferenceKind,
    PriceBand,
    ProfileStore,
    ShopperProfile,
    build_profile,
    shopper_key,
)
from knowledge.promotions import (
    ATTRIBUTION_WINDOW,
    PROMO_CHANNELS,
    PROMO_STATUSES,
    Exposure,
    PromoChannel,
    PromoStatus,
    PromoStore,
    PromoVariant,
    VariantStats,
)
from knowledge.staff import StaffAccounts
from knowledge.store_folder import LoadReport, RowIssue, StoreFolder, load_store_folder

# The bundled demo store (DummyJSON, MIT): the store `make run` serves with no settings.
DEMO_STORE_DIR = Path(__file__).parent / "demo_store"

__all__ = [
    "ATTRIBUTION_WINDOW",
    "DEMO_STORE_DIR",
    "EVENT_KINDS",
    "EVENT_WEIGHTS",
    "ORDER_STATUSES",
    "PROMO_CHANNELS",
    "PROMO_STATUSES",
    "UNRESOLVED_OUTCOMES",
    "Address",
    "Citation",
    "Conversation",
    "ConversationStore",
    "Customer",
    "Event",
    "EventKind",
    "Exposure",
    "ForgetReport",
    "KnowledgeError",
    "LoadReport",
    "Message",
    "NotFoundError",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Payment",
    "PaymentMethod",
    "Placement",
    "Policy",
    "PolicyPassage",
    "Preference",
    "PreferenceKind",
    "PriceBand",
    "Product",
    "ProfileStore",
    "PromoChannel",
    "PromoStatus",
    "PromoStore",
    "PromoVariant",
    "Review",
    "RowIssue",
    "Shipment",
    "ShopperData",
    "ShopperExport",
    "ShopperProfile",
    "StaffAccounts",
    "StoreDatabase",
    "StoreFolder",
    "StoreFolderError",
    "SyncCounts",
    "Variant",
    "VariantStats",
    "Verdict",
    "build_profile",
    "content_hash",
    "load_store_folder",
    "parse_policy",
    "shopper_key",
]
