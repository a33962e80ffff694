"""The composition root: builds every heavy object once, from the settings, and wires them."""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass, fields

from agent import (
    SHIPPED_INTENT_WEIGHTS,
    Assistant,
    ChatModel,
    EffectPredictor,
    EngineUnavailableError,
    IntentClassifier,
    MatchThresholds,
    PromoDraft,
    PromoExperiment,
    PromoWriter,
    ThompsonBandit,
    load_chat_model,
)
from knowledge import (
    ConversationStore,
    Product,
    ProfileStore,
    PromoStore,
    PromoVariant,
    ShopperProfile,
    StaffAccounts,
    StoreDatabase,
)
from retrieval import (
    CatalogCache,
    CatalogIndexer,
    Embedder,
    FreshRecommender,
    PolicySearch,
    ProductSearch,
    VectorCollection,
    load_embedder,
    open_chroma,
)
from ui.identity import ShopperTokens
from ui.rate_limits import RateLimits
from ui.settings import Settings

log = logging.getLogger(__name__)

# When a search hit means "we carry it" and a policy section "answers it", per embedder:
# their cosine scales differ. Measured on the demo store with 15 carried and 15 absent
# products and 10 answerable and 8 unanswerable policy questions (README, "Decisions").
THRESHOLDS = {
    "e5-small": MatchThresholds(strong=0.85, weak=0.83, weak_coverage=0.5, policy=0.86, policy_weak=0.825),
    "minilm": MatchThresholds(strong=0.50, weak=0.42, weak_coverage=0.5, policy=0.50, policy_weak=0.40),
}


def load_secret(settings: Settings) -> str:
    """AISLE_SECRET_KEY, or a random key made once and kept in the data folder (owner-only)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


@dataclass
class CatalogServices:
    """What search and ingest need, and nothing more: the database, the embedder, the index
    and the searches. `aisle search` and `aisle ingest` build only this, so they start
    without the dialogue model or anything it imports."""

    settings: Settings
    db: StoreDatabase
    embedder: Embedder
    catalog: CatalogCache
    indexer: CatalogIndexer
    products: ProductSearch
    policies: PolicySearch
    product_vectors: VectorCollection

    def close(self) -> None:
        self.db.close()


@dataclass
class Services(CatalogServices):
    """Everything a request or a command needs, built once per process: the catalog's
    services plus the conversations, the assistant, the staff and the promo loop."""

    conversations: ConversationStore
    model: ChatModel | None
    assistant: Assistant | None
    staff: StaffAccounts
    tokens: ShopperTokens
    profiles: ProfileStore
    recommender: FreshRecommender
    promos: PromoStore
    predictor: EffectPredictor
    experiment: PromoExperiment
    promo_writer: PromoWriter | None
    rate_limits: RateLimits

    def promo_variant(
        self, draft: PromoDraft, product: Product, profile: ShopperProfile | None, audience: str | None
    ) -> PromoVariant:
        """A written draft as a variant for the A/B test, with its predicted rates. Copy the
        model wrote starts paused for a person to review; copy built from the facts alone
        starts live."""
        variant = draft.to_variant(audience=audience)
        ctr, cvr = self.predictor.predict(variant, product, profile)
        status = "paused" if draft.origin == "model" else "live"
        return variant.model_copy(update={"predicted_ctr": ctr, "predicted_cvr": cvr, "status": status})


def load_dialogue_model(settings: Settings) -> ChatModel:
    """The dialogue model the settings ask for; the reference backend where the engine is missing."""
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    load = functools.partial(
        load_chat_model,
        settings.llm,
        cache_dir=settings.model_cache,
        threads=settings.model_threads,
        adapter=settings.adapter_dir,
        slots=settings.model_slots,
        url=settings.llm_url,
        api_key=api_key,
    )
    try:
        return load(backend=settings.backend)
    except EngineUnavailableError as exc:
        log.warning("%s; answering with the slower transformers backend instead", exc)
        return load(backend="transformers")


def open_database(settings: Settings) -> StoreDatabase:
    """The facts database the settings name (commands that touch no index need only this)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return StoreDatabase(settings.resolved_database_url)


def build_catalog(
    settings: Settings, embedder: Embedder | None = None, db: StoreDatabase | None = None
) -> CatalogServices:
    """Wire the database, the embedder, Chroma and the searches as `settings` say."""
    db = db or open_database(settings)
    embedder = embedder or load_embedder(settings.embedder, threads=settings.embed_threads)
    client = open_chroma(path=settings.chroma_dir, url=settings.chroma_url)
    product_vectors = VectorCollection(client, f"{settings.index_namespace}-products", embedder)
    policy_vectors = VectorCollection(client, f"{settings.index_namespace}-policies", embedder)
    catalog = CatalogCache(db)
    return CatalogServices(
        settings=settings,
        db=db,
        embedder=embedder,
        catalog=catalog,
        indexer=CatalogIndexer(product_vectors, policy_vectors),
        products=ProductSearch(catalog, product_vectors, embedder),
        policies=PolicySearch(catalog, policy_vectors, embedder),
        product_vectors=product_vectors,
    )


def build_services(
    settings: Settings,
    embedder: Embedder | None = None,
    model: ChatModel | None = None,
    with_assistant: bool = True,
) -> Services:
    """Wire the database, the embedder, Chroma, the searches and the assistant as `settings` say.

    Pass `embedder` or `model` to share ones already loaded (tests and benchmarks build
    them once). `with_assistant=False` skips the dialogue model (search and ingest need none).
    """
    core = build_catalog(settings, embedder=embedder)
    db, embedder, catalog = core.db, core.embedder, core.catalog
    products, policies, product_vectors = core.products, core.policies, core.product_vectors
    conversations = ConversationStore(db)
    profiles = ProfileStore(db)
    recommender = FreshRecommender(db, product_vectors)
    promos = PromoStore(db)
    # Learned from the store's own promo log at start-up; with no log yet it predicts base rates.
    predictor = EffectPredictor().fit_from_log(
        promos, catalog.product, lambda customer, session: profiles.profile(customer, session, catalog.product)
    )
    assistant = None
    promo_writer = None
    if with_assistant:
        model = model or load_dialogue_model(settings)
        # The shipped intent weights read e5-small vectors; with another embedder the rules route alone.
        intents = IntentClassifier.load(SHIPPED_INTENT_WEIGHTS, embedder) if embedder.name == "e5-small" else None
        assistant = Assistant(
            db,
            conversations,
            products,
            policies,
            model,
            store_name=settings.store_name,
            thresholds=THRESHOLDS[embedder.name],
            intents=intents,
            profiles=profiles,
            recommender=recommender,
        )
        promo_writer = PromoWriter(model, store_name=settings.store_name, named_in=products.named_in)
    return Services(
        **{field.name: getattr(core, field.name) for field in fields(CatalogServices)},
        conversations=conversations,
        model=model,
        assistant=assistant,
        staff=StaffAccounts(db),
        tokens=ShopperTokens(load_secret(settings)),
        profiles=profiles,
        recommender=recommender,
        promos=promos,
        predictor=predictor,
        experiment=PromoExperiment(promos, ThompsonBandit(), predictor),
        promo_writer=promo_writer,
        rate_limits=RateLimits(settings.chat_rate_limit, settings.api_rate_limit, settings.rate_limit_storage),
    )
