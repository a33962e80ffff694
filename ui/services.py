"""The composition root: builds every heavy object once, from the settings, and wires them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from agent import (
    SHIPPED_INTENT_WEIGHTS,
    Assistant,
    ChatModel,
    EffectPredictor,
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
class Services:
    """Everything a request or a command needs, built once per process."""

    settings: Settings
    db: StoreDatabase
    embedder: Embedder
    catalog: CatalogCache
    indexer: CatalogIndexer
    products: ProductSearch
    policies: PolicySearch
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

    def close(self) -> None:
        self.db.close()

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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = StoreDatabase(settings.resolved_database_url)
    embedder = embedder or load_embedder(settings.embedder, threads=settings.threads)
    client = open_chroma(path=settings.chroma_dir, url=settings.chroma_url)
    product_vectors = VectorCollection(client, f"{settings.index_namespace}-products", embedder)
    policy_vectors = VectorCollection(client, f"{settings.index_namespace}-policies", embedder)
    catalog = CatalogCache(db)
    products = ProductSearch(catalog, product_vectors, embedder)
    policies = PolicySearch(catalog, policy_vectors, embedder)
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
        model = model or load_chat_model(
            settings.llm,
            cache_dir=settings.model_cache,
            threads=settings.threads,
            adapter=settings.adapter_dir,
            backend=settings.backend,
            slots=settings.model_slots,
        )
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
        settings=settings,
        db=db,
        embedder=embedder,
        catalog=catalog,
        indexer=CatalogIndexer(product_vectors, policy_vectors),
        products=products,
        policies=policies,
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
