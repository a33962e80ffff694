"""The one settings object: every `AISLE_*` environment variable, typed and checked.

Only `ui/` reads settings; it passes plain values down to the other packages. Defaults
run the bundled demo store on this machine with nothing set.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import knowledge
from agent import SHIPPED_ADAPTERS, Backend


class Settings(BaseSettings):
    """Aisle's configuration. Each field is read from `AISLE_<FIELD>` (e.g. `AISLE_PORT`)."""

    model_config = SettingsConfigDict(env_prefix="AISLE_", frozen=True, extra="ignore")

    store_dir: Path = Field(
        default=knowledge.DEMO_STORE_DIR,
        description="Store folder that `aisle serve` and `make run` ingest (default: the bundled demo store).",
    )
    data_dir: Path = Field(
        default=Path(".aisle"),
        description="Where Aisle keeps its SQLite database and embedded Chroma index.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the facts database (default: SQLite in the data folder), "
        "e.g. postgresql+psycopg://aisle@db/aisle.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server, e.g. http://chroma:8000 (default: embedded Chroma in the data folder).",
    )
    embedder: Literal["e5-small", "minilm"] = Field(
        default="e5-small",
        description="Text embedder: e5-small (multilingual, default) or minilm (English, faster to ingest).",
    )
    llm: Literal["qwen2.5-0.5b", "qwen2.5-1.5b", "smollm2-135m"] = Field(
        default="qwen2.5-0.5b",
        description="Dialogue model: qwen2.5-0.5b (default), qwen2.5-1.5b (for bigger boxes: llama-cpp backend "
        "only, installed by `make bigger-model`, no shipped adapter) or smollm2-135m (a small stand-in for fast "
        "tests).",
    )
    backend: Backend = Field(
        default="llama-cpp",
        description="What runs the dialogue model: llama-cpp (default: llama.cpp's server in process, several "
        "answers at once) or transformers (the reference, bf16 only on a CPU with native bf16, else fp32). "
        "If the llama.cpp engine is missing, Aisle says so and falls back to transformers.",
    )
    model_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        le=256,
        description="CPU threads the dialogue model may use (default: every core). On a box shared with other "
        "work, fewer threads than free cores hold their speed better (../shared/MODELS.md).",
    )
    llm_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible model server (e.g. `aisle model-server` on a bigger box, llama.cpp's "
        "server, vLLM) that answers instead of a model in this process: http://gpu-box:8081.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="Bearer key for AISLE_LLM_URL, and the key `aisle model-server` requires.",
    )
    model_slots: int = Field(
        default=8,
        ge=1,
        le=64,
        description="How many answers the llama-cpp backend writes at once (one batch; more shoppers wait "
        "for a free slot). transformers writes one at a time.",
    )
    adapter: str = Field(
        default="auto",
        description="LoRA adapter merged into the dialogue model at load: `auto` (the adapter shipped for "
        "AISLE_LLM, if there is one), `none`, or the folder `aisle finetune` wrote.",
    )
    model_cache: Path = Field(
        default=Path(".aisle/models"),
        description="Where the dialogue model's verified GGUF and its cached bf16 copy are kept "
        "(first start converts it: about 50 s; later starts load in a few seconds).",
    )
    store_name: str = Field(
        default="Aisle Demo Store",
        min_length=1,
        max_length=80,
        description="The store's name, as the assistant says it.",
    )
    index_namespace: str = Field(
        default="aisle",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,40}$",
        description="Prefix of the Chroma collections, so several stores can share one Chroma server.",
    )
    ingest_on_start: bool = Field(
        default=True,
        description="`aisle serve` ingests the store folder at start-up (incremental: only changes cost time). "
        "Turn off on all but one server when several share a database.",
    )
    threads: int = Field(default=2, ge=1, le=256, description="CPU threads for fine-tuning (`aisle finetune`).")
    embed_threads: int = Field(
        default=2,
        ge=1,
        le=256,
        description="CPU threads the text embedder may use (ingest and every search's query). Its waiting "
        "threads sleep rather than spin, so search stays quick while the dialogue model uses the cores.",
    )
    host: str = Field(default="127.0.0.1", description="Address `aisle serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `aisle serve` listens on.")
    search_k: int = Field(default=10, ge=1, le=100, description="Products a search returns unless asked otherwise.")
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs shopper tokens (the store's site signs them with it too) and staff sessions. "
        "At least 32 characters. Default: a random key made on first start and kept in the data folder.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Web origins allowed to call the API from a browser (the sites that embed the widget), "
        'as a JSON list, e.g. ["https://shop.example.com"]. Default: none besides Aisle itself.',
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the staff session cookie over HTTPS only; turn on when Aisle is served over HTTPS.",
    )
    chat_rate_limit: str = Field(
        default="20/minute",
        description='Chat messages one shopper may send, e.g. "20/minute" or "200/hour" (limits notation).',
    )
    api_rate_limit: str = Field(
        default="300/minute",
        description="Other shopper API requests (events, search, recommendations) one shopper or address may make.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live: memory:// (per process) or a shared store such as "
        "redis://host:6379 when several servers run.",
    )
    max_request_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body accepted; bigger ones get 413.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Delete conversations idle for longer than this many days (checked at start-up and "
        "every 6 hours). Default: keep them.",
    )

    @field_validator("chat_rate_limit", "api_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f'{value!r} is not a rate; write it like "20/minute" or "100 per hour"') from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                f"AISLE_DATABASE_URL {value!r} is not a SQLAlchemy URL; "
                "use e.g. sqlite:///path/aisle.db or postgresql+psycopg://user@host/db"
            ) from exc
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("AISLE_SECRET_KEY must be at least 32 characters; e.g. `openssl rand -hex 32`")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*":
                raise ValueError("AISLE_CORS_ORIGINS may not be '*': list the sites that embed the widget")
            if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") > 2:
                raise ValueError(f"AISLE_CORS_ORIGINS entry {origin!r} must be an origin like https://shop.example.com")
        return [origin.rstrip("/") for origin in value]

    @field_validator("adapter")
    @classmethod
    def _adapter(cls, value: str) -> str:
        if value not in {"auto", "none"} and not (Path(value) / "adapter_config.json").exists():
            raise ValueError(
                f"AISLE_ADAPTER {value!r} is not an adapter folder (no adapter_config.json); "
                "use auto, none, or the folder `aisle finetune` wrote"
            )
        return value

    @field_validator("chroma_url")
    @classmethod
    def _valid_chroma_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"AISLE_CHROMA_URL {value!r} must start with http:// or https://")
        return value or None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'aisle.db').resolve()}"

    @property
    def adapter_dir(self) -> Path | None:
        """The adapter folder to load, or None for the base model."""
        if self.adapter == "none":
            return None
        if self.adapter == "auto":
            shipped = SHIPPED_ADAPTERS.get(self.llm)
            return shipped if shipped is not None and (shipped / "adapter_config.json").exists() else None
        return Path(self.adapter)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
