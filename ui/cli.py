"""The `aisle` command: ingest a store, search it, serve it, convert public data sets."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from agent import FinetuneConfig
from knowledge import PROMO_CHANNELS, KnowledgeError, ShopperData, StaffAccounts
from knowledge.converters import CONVERTERS, convert
from retrieval import SEARCH_MODES, IngestReport, RetrievalError, SearchFilters, ingest_store
from ui.identity import ShopperTokens
from ui.services import CatalogServices, Services, build_catalog, build_services, load_secret, open_database
from ui.settings import get_settings

app = typer.Typer(help="Aisle: a store's own shopping and customer-service assistant.", no_args_is_help=True)

# Bad rows printed before "... and N more" (all of them with --all-issues).
_ISSUES_SHOWN = 20


def _offline() -> None:
    # There is no model hub here, and no model may be fetched at run time anywhere:
    # fail fast instead of waiting on a network timeout.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _services(with_assistant: bool = False) -> Services:
    _offline()
    try:
        return build_services(get_settings(), with_assistant=with_assistant)
    except (KnowledgeError, RetrievalError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _catalog() -> CatalogServices:
    """The database, the embedder and the searches only: no dialogue model is loaded or imported."""
    try:
        return build_catalog(get_settings())
    except (KnowledgeError, RetrievalError) as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _print_report(report: IngestReport, all_issues: bool) -> None:
    for name, count in report.load.loaded.items():
        bad = sum(1 for i in report.load.errors if i.file == name or i.file.startswith(f"{name}/"))
        typer.echo(f"  {name}: {count} loaded" + (f", {bad} bad" if bad else ""), err=True)
    issues = report.load.issues
    for issue in issues if all_issues else issues[:_ISSUES_SHOWN]:
        typer.secho(f"  {issue}", fg="red" if issue.severity == "error" else "yellow", err=True)
    if not all_issues and len(issues) > _ISSUES_SHOWN:
        typer.echo(f"  ... and {len(issues) - _ISSUES_SHOWN} more (--all-issues shows them)", err=True)
    for name, counts in report.database.items():
        typer.echo(
            f"  database {name}: +{counts.added} added, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {counts.removed} removed",
            err=True,
        )
    for name, index_counts in report.index.items():
        typer.echo(
            f"  index {name}: {index_counts.embedded} embedded, {index_counts.metadata_updated} re-tagged, "
            f"{index_counts.unchanged} unchanged, {index_counts.removed} removed",
            err=True,
        )
    for file in report.kept:
        typer.secho(f"  {file} had bad rows, so nothing missing from it was removed", fg="yellow", err=True)


def run_ingest(services: CatalogServices, folder: Path, all_issues: bool = False) -> IngestReport:
    typer.echo(f"Ingesting {folder} ...", err=True)
    try:
        report = ingest_store(folder, services.db, services.indexer, progress=sys.stderr.isatty())
    except KnowledgeError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    _print_report(report, all_issues)
    return report


@app.command()
def ingest(
    folder: Annotated[Path | None, typer.Argument(help="Store folder (default: AISLE_STORE_DIR).")] = None,
    all_issues: Annotated[bool, typer.Option("--all-issues", help="List every bad row.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit with status 1 when any row is bad.")] = False,
) -> None:
    """Load a store folder into the database and the search index (incremental, idempotent)."""
    services = _catalog()
    report = run_ingest(services, folder or services.settings.store_dir, all_issues)
    services.close()
    if strict and report.load.errors:
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='What the shopper typed, e.g. "wireless earbuds under 100".')],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="How many products.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: ids, titles, prices, scores.")] = False,
    min_price: Annotated[float | None, typer.Option(min=0)] = None,
    max_price: Annotated[float | None, typer.Option(min=0)] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only this category (repeatable).")] = None,
    brand: Annotated[list[str] | None, typer.Option(help="Only this brand (repeatable).")] = None,
    in_stock: Annotated[bool, typer.Option("--in-stock", help="Only products in stock.")] = False,
    mode: Annotated[str, typer.Option(help=f"One of: {', '.join(SEARCH_MODES)}.")] = "hybrid",
) -> None:
    """Search the catalog the way the assistant does (filters are also read from the query)."""
    if mode not in SEARCH_MODES:
        raise typer.BadParameter(f"choose one of: {', '.join(SEARCH_MODES)}", param_hint="--mode")
    services = _catalog()
    if services.indexer.is_empty() or not services.catalog.current().products:
        typer.echo("The index is empty; ingesting the configured store first.", err=True)
        run_ingest(services, services.settings.store_dir)
    try:
        filters = SearchFilters(
            min_price=min_price,
            max_price=max_price,
            categories=tuple(category or ()),
            brands=tuple(brand or ()),
            in_stock=in_stock,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    result = services.products.search(query, k=k, filters=filters, mode=mode)  # type: ignore[arg-type]
    services.close()
    if as_json:
        payload = {
            "query": result.query,
            "text": result.text,
            "filters": result.filters.describe(),
            "results": [
                {
                    "id": hit.product.id,
                    "title": hit.product.title,
                    "price": hit.product.price,
                    "currency": hit.product.currency,
                    "in_stock": hit.product.in_stock,
                    "score": round(hit.score, 6),
                }
                for hit in result.hits
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if result.filters.describe():
        typer.echo(f"Filters: {result.filters.describe()}")
    if not result.hits:
        typer.echo("No products match.")
    for rank, hit in enumerate(result.hits, start=1):
        product = hit.product
        stock = "in stock" if product.in_stock else "out of stock"
        typer.echo(f"{rank:2}. {product.title}  {product.price:.2f} {product.currency}  ({stock})  [{product.id}]")


@app.command()
def chat(
    customer: Annotated[
        str | None, typer.Option(help="Chat as this signed-in customer (their orders and profile).")
    ] = None,
) -> None:
    """Talk to the assistant in the terminal, with answers streamed as they are written."""
    from agent import FinalEvent, Shopper, TokenEvent

    services = _services(with_assistant=True)
    if services.indexer.is_empty():
        run_ingest(services, services.settings.store_dir)
    if customer is not None and services.db.customer(customer) is None:
        typer.secho(f"error: no customer {customer!r} in the store; see customers.jsonl for ids", fg="red", err=True)
        raise typer.Exit(2)
    shopper = Shopper(customer_id=customer, session_id=None if customer else f"terminal-{os.getpid()}")
    conversation = services.conversations.start(customer_id=shopper.customer_id, session_id=shopper.session_id)
    assistant = services.assistant
    assert assistant is not None  # built with_assistant=True
    typer.echo(f"Chatting with {services.settings.store_name} (conversation {conversation.id}). Ctrl-D to leave.")
    while True:
        try:
            text = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            typer.echo()
            break
        if not text:
            continue
        typer.echo("aisle> ", nl=False)
        for event in assistant.reply(conversation.id, text, shopper):
            if isinstance(event, TokenEvent):
                typer.echo(event.text, nl=False)
            elif isinstance(event, FinalEvent):
                if event.message is None:
                    typer.echo("(a member of staff has this conversation and will answer)")
                    continue
                if event.replaced:
                    typer.echo(f"\n  (checked against the store's data; the answer is:) {event.message.text}", nl=False)
                for product in event.products:
                    typer.echo(
                        f"\n  • {product.title} — {product.price:.2f} {product.currency} [{product.id}]", nl=False
                    )
                if event.handoff:
                    typer.echo("\n  (handed to the support team)", nl=False)
                typer.echo()
    services.close()


@app.command()
def recommend(
    customer: Annotated[str, typer.Argument(help="The customer to recommend for (see customers.jsonl).")],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=50, help="How many products.")] = 6,
    max_price: Annotated[float | None, typer.Option(min=0, help="Only products at or under this price.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: ids, titles, prices, reasons, scores.")] = False,
) -> None:
    """Recommend products for a customer from their behaviour, with the reason for each."""
    services = _services()
    if services.indexer.is_empty() or not services.catalog.current().products:
        typer.echo("The index is empty; ingesting the configured store first.", err=True)
        run_ingest(services, services.settings.store_dir)
    if services.db.customer(customer) is None:
        typer.secho(f"error: no customer {customer!r} in the store; see customers.jsonl for ids", fg="red", err=True)
        raise typer.Exit(2)
    profile = services.profiles.profile(customer, None, services.catalog.product)
    picks = services.recommender.recommend(
        profile, k=k, max_price=max_price if max_price is not None else profile.budget
    )
    services.close()
    if as_json:
        payload = {
            "customer_id": customer,
            "profile": profile.explain(),
            "recommendations": [
                {
                    "id": pick.product.id,
                    "title": pick.product.title,
                    "price": pick.product.price,
                    "currency": pick.product.currency,
                    "in_stock": pick.product.in_stock,
                    "reason": pick.reason,
                    "score": round(pick.score, 6),
                }
                for pick in picks
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for line in profile.explain():
        typer.echo(f"  {line}")
    if not picks:
        typer.echo("Nothing to recommend: no product in stock passes the filters.")
    for rank, pick in enumerate(picks, start=1):
        product = pick.product
        typer.echo(
            f"{rank:2}. {product.title}  {product.price:.2f} {product.currency}  [{product.id}]  — {pick.reason}"
        )


@app.command()
def promo(
    product: Annotated[str, typer.Argument(help="The product to promote (its id).")],
    customer: Annotated[str | None, typer.Option(help="Write for this customer's interests.")] = None,
    channel: Annotated[str, typer.Option(help="chat_banner, email or product_page.")] = "email",
    n: Annotated[int, typer.Option("-n", min=1, max=4, help="How many variants.")] = 3,
    save: Annotated[
        bool, typer.Option("--save", help="Store the variants for the A/B test (the model's paused for review).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write promo copy variants for a product, every price and discount checked against the data."""
    if channel not in PROMO_CHANNELS:
        raise typer.BadParameter(f"choose one of: {', '.join(PROMO_CHANNELS)}", param_hint="--channel")
    services = _services(with_assistant=True)
    if services.indexer.is_empty() or not services.catalog.current().products:
        run_ingest(services, services.settings.store_dir)
    item = services.catalog.product(product)
    if item is None:
        typer.secho(f"error: no product {product!r}; find ids with `aisle search`", fg="red", err=True)
        raise typer.Exit(2)
    if customer is not None and services.db.customer(customer) is None:
        typer.secho(f"error: no customer {customer!r} in the store", fg="red", err=True)
        raise typer.Exit(2)
    profile = services.profiles.profile(customer, None, services.catalog.product) if customer else None
    assert services.promo_writer is not None  # built with_assistant=True
    drafts = services.promo_writer.write([item], channel, profile=profile, n=n)  # type: ignore[arg-type]
    rows = []
    for draft in drafts:
        variant = services.promo_variant(draft, item, profile, audience=customer)
        if save:
            services.promos.save(variant)
        rows.append((draft, variant))
    services.close()
    if as_json:
        payload = [
            {
                "id": variant.id,
                "headline": variant.headline,
                "body": variant.body,
                "angle": variant.angle,
                "origin": draft.origin,
                "predicted_ctr": round(variant.predicted_ctr or 0.0, 4),
                "checks": [fix.describe() for fix in draft.fixes],
            }
            for draft, variant in rows
        ]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for number, (draft, variant) in enumerate(rows, start=1):
        typer.echo(f"{number}. [{draft.angle}, {draft.origin}] {variant.headline}")
        if variant.body:
            typer.echo(f"   {variant.body}")
        for fix in draft.fixes:
            typer.echo(f"   (checked: {fix.describe()})")
    if save:
        typer.echo("Saved: the model's copy waits, paused, for review at /staff/analytics.")


@app.command()
def export(customer: Annotated[str, typer.Argument(help="The customer whose data to export.")]) -> None:
    """Print everything Aisle holds about a customer, as JSON (a data-access request)."""
    from ui.schemas import ShopperExportOut

    db = open_database(get_settings())
    data = ShopperData(db).export(customer_id=customer)
    db.close()
    typer.echo(ShopperExportOut.of(data).model_dump_json(indent=2))


@app.command()
def forget(
    customer: Annotated[str, typer.Argument(help="The customer whose data to delete.")],
    yes: Annotated[bool, typer.Option("--yes", help="Don't ask for confirmation.")] = False,
) -> None:
    """Delete a customer's conversations, events and stated preferences (a deletion request)."""
    if not yes:
        typer.confirm(f"Delete everything Aisle collected about customer {customer!r}?", abort=True)
    db = open_database(get_settings())
    report = ShopperData(db).forget(customer_id=customer)
    db.close()
    typer.echo(
        f"Deleted {report.conversations} conversations ({report.messages} messages), {report.events} events "
        f"and {report.preferences} stated preferences of customer {customer!r}"
        + (f" and their sessions {', '.join(report.sessions)}." if report.sessions else ".")
    )
    typer.echo("Orders and the customer record come from the store's own systems: delete them there.")


staff_app = typer.Typer(help="Staff accounts for the copilot at /staff.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")


@staff_app.command("add")
def staff_add(
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, . _ -).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Create a staff account (or set a new password for an existing one). Passwords are stored hashed (argon2)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = open_database(get_settings())
    try:
        StaffAccounts(db).create(username, password)
    except ValueError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    finally:
        db.close()
    typer.echo(f"Staff account {username!r} is ready: sign in at /staff.")


@staff_app.command("list")
def staff_list() -> None:
    """List the staff accounts."""
    db = open_database(get_settings())
    for username in StaffAccounts(db).usernames():
        typer.echo(username)
    db.close()


@app.command()
def token(
    customer: Annotated[str, typer.Argument(help="The customer id the token signs in.")],
    hours: Annotated[float, typer.Option(min=0.01, max=168, help="How long the token is valid.")] = 1.0,
) -> None:
    """Sign a shopper token for a customer, as the store's site would (for trying the widget signed in)."""
    settings = get_settings()
    db = open_database(settings)
    known = db.customer(customer) is not None
    db.close()
    if not known:
        typer.secho(f"error: no customer {customer!r} in the store", fg="red", err=True)
        raise typer.Exit(2)
    typer.echo(ShopperTokens(load_secret(settings)).issue(customer, lifetime=int(hours * 3600)))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: AISLE_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: AISLE_PORT.")] = None,
) -> None:
    """Serve the web app and the HTTP API."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from ui.log_privacy import RedactingFilter, redacting_log_config
    from ui.server import create_app

    _offline()
    # The app logs what its start-up ingest did; uvicorn configures only its own loggers.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    settings = get_settings()
    # No shopper's e-mail, phone or card number reaches the server's log (see ui/log_privacy.py).
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        log_config=redacting_log_config(LOGGING_CONFIG),
    )


@app.command("model-server")
def model_server(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
) -> None:
    """Serve the dialogue model (with its adapter) over the OpenAI protocol, for Aisle processes
    elsewhere that set AISLE_LLM_URL to this address. Requires AISLE_LLM_API_KEY off loopback."""
    import contextlib
    import signal

    from agent import load_chat_model

    _offline()
    settings = get_settings()
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if api_key is None and host not in {"127.0.0.1", "localhost", "::1"}:
        typer.secho("error: set AISLE_LLM_API_KEY before listening beyond this machine", fg="red", err=True)
        raise typer.Exit(2)
    model = load_chat_model(
        settings.llm,
        cache_dir=settings.model_cache,
        threads=settings.model_threads,
        adapter=settings.adapter_dir,
        slots=settings.model_slots,
        api_key=api_key or "",
        listen=(host, port),
    )
    typer.echo(f"{model.name} answers at {getattr(model, 'url', '')}/v1 ({settings.model_slots} slots); Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            signal.pause()  # the model's server runs in its own threads


@app.command("convert")
def convert_command(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(CONVERTERS)}.")],
    source: Annotated[Path, typer.Argument(help="The data set's folder, e.g. ../shared/data/tau_bench_retail.")],
    dest: Annotated[Path, typer.Argument(help="Store folder to write.")],
) -> None:
    """Turn a public data set (DummyJSON, τ-bench retail, Retail Demo Store) into a store folder."""
    if kind not in CONVERTERS:
        raise typer.BadParameter(f"choose one of: {', '.join(CONVERTERS)}", param_hint="KIND")
    summary = convert(kind, source, dest)
    counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    typer.echo(f"Wrote {dest}: {counts}. Load it with: aisle ingest {dest}")


_BITEXT = Path("../shared/data/bitext_customer_support/train.csv")
# `aisle finetune` with no options repeats the shipped adapter's run.
_DEFAULT = FinetuneConfig()


def _dataset(store: Path | None, bitext: Path | None, seed: int) -> tuple[object, dict]:
    """The fine-tuning examples for a store folder, and their fingerprint for the training log."""
    from agent import DatasetConfig, build_dataset
    from knowledge import load_store_folder

    settings = get_settings()
    folder = store or settings.store_dir
    if bitext is not None and not bitext.exists():
        raise typer.BadParameter(f"{bitext} does not exist; pass --bitext PATH or --no-bitext", param_hint="--bitext")
    data = build_dataset(
        load_store_folder(folder), DatasetConfig(seed=seed, store_name=settings.store_name, bitext_csv=bitext)
    )
    info = {
        "store": str(folder),
        "seed": seed,
        "train_examples": len(data.train),
        "validation_examples": len(data.validation),
        "bitext": {"path": str(bitext), "sha256": data.bitext_sha256, "licence": "CDLA-Sharing-1.0"}
        if bitext
        else None,
    }
    return data, info


def _write_dataset(data: object, folder: Path) -> dict[str, str]:
    import hashlib

    from agent import write_jsonl

    hashes = {}
    for split in ("train", "validation"):
        path = folder / f"{split}.jsonl"
        write_jsonl(getattr(data, split), path)
        hashes[split] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@app.command("training-data")
def training_data(
    out: Annotated[Path, typer.Argument(help="Folder for train.jsonl and validation.jsonl.")],
    store: Annotated[Path | None, typer.Option(help="Store folder (default: AISLE_STORE_DIR).")] = None,
    bitext: Annotated[
        Path | None, typer.Option(help="Bitext customer-support train.csv to sample from (CDLA-Sharing-1.0).")
    ] = _BITEXT,
    no_bitext: Annotated[bool, typer.Option("--no-bitext", help="Store dialogues only.")] = False,
    seed: Annotated[int, typer.Option(help="Seed: the same seed and store give the same files.")] = 7,
) -> None:
    """Build the fine-tuning data (train + validation JSONL) from a store folder, deterministically."""
    data, _ = _dataset(store, None if no_bitext else bitext, seed)
    hashes = _write_dataset(data, out)
    typer.echo(
        f"Wrote {out}/train.jsonl ({len(data.train)} examples, sha256 {hashes['train'][:12]}) and "  # type: ignore[attr-defined]
        f"validation.jsonl ({len(data.validation)}, sha256 {hashes['validation'][:12]})."  # type: ignore[attr-defined]
    )


@app.command("finetune")
def finetune_command(
    out: Annotated[
        Path | None, typer.Option(help="Adapter folder (default: AISLE_DATA_DIR/adapters/MODEL-shop).")
    ] = None,
    steps: Annotated[int, typer.Option(min=1, help="Optimizer steps.")] = _DEFAULT.steps,
    batch_size: Annotated[int, typer.Option(min=1, help="Examples per step.")] = _DEFAULT.batch_size,
    learning_rate: Annotated[float, typer.Option(help="Peak learning rate.")] = _DEFAULT.learning_rate,
    seed: Annotated[int, typer.Option(help="Seeds data, batch order, LoRA init, dropout.")] = _DEFAULT.seed,
    store: Annotated[Path | None, typer.Option(help="Store folder (default: AISLE_STORE_DIR).")] = None,
    bitext: Annotated[
        Path | None, typer.Option(help="Bitext customer-support train.csv (CDLA-Sharing-1.0).")
    ] = _BITEXT,
    no_bitext: Annotated[bool, typer.Option("--no-bitext", help="Store dialogues only.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the folder's last checkpoint.")] = False,
    stop_after: Annotated[int | None, typer.Option(min=1, help="Stop after this many steps (resume later).")] = None,
    save_every: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = 8,
) -> None:
    """Fine-tune the dialogue model (AISLE_LLM) with LoRA on the store's dialogues; seeded and resumable."""
    from agent import ModelUnavailableError, finetune

    _offline()
    settings = get_settings()
    out = out or settings.data_dir / "adapters" / f"{settings.llm}-shop"
    data, info = _dataset(store, None if no_bitext else bitext, seed)
    info["sha256"] = _write_dataset(data, out / "data")
    config = FinetuneConfig(
        model=settings.llm,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        save_every=save_every,
        threads=settings.threads,
    )
    try:
        result = finetune(
            config,
            data.train,  # type: ignore[attr-defined]
            data.validation,  # type: ignore[attr-defined]
            cache_dir=settings.model_cache,
            out_dir=out,
            data_info=info,
            resume=resume,
            progress=True,
            stop_after=stop_after,
        )
    except ModelUnavailableError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from exc
    log = result.log
    if not log.finished:
        typer.echo(f"Stopped after {len(log.losses)} of {steps} steps; continue with --resume.")
        return
    typer.echo(
        f"Adapter saved in {out} (loss {log.losses[0]:.3f} -> {log.losses[-1]:.3f}; validation loss "
        f"{log.validation_loss.get('before')} -> {log.validation_loss.get('after')}). "
        f"Use it with AISLE_ADAPTER={out}"
    )


def main() -> None:
    app()
