"""AWS Retail Demo Store (products.jsonl, offers.json) to a store folder.

A catalog-only store: 2,465 products and one policy listing the discount offers. The
upstream users have no orders or interactions, so no customers, orders or events are
written (and none are invented).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.catalog import Product
from knowledge.converters._writing import (
    ConvertSummary,
    copy_license,
    prepare_dest,
    write_jsonl,
    write_source_md,
    write_text,
)

KIND = "retail-demo-store"


def convert(source: Path, dest: Path, as_of: date) -> ConvertSummary:
    """Write the Retail Demo Store catalog in `source` as a store folder at `dest`.

    `as_of` is accepted for a uniform interface; nothing here is dated.
    """
    products = sorted((_product(raw) for raw in _read_jsonl(source / "products.jsonl")), key=lambda p: p.id)
    with (source / "offers.json").open(encoding="utf-8") as handle:
        offers = json.load(handle)

    prepare_dest(dest)
    write_text(dest / "policies" / "offers.md", _offers_policy(offers))
    counts = {
        "products": write_jsonl(dest / "products.jsonl", products),
        "variants": 0,
        "customers": 0,
        "orders": 0,
        "events": 0,
        "policies": 1,
    }
    copy_license(source, dest)
    write_source_md(
        dest,
        title="Retail Demo Store catalog",
        source=source,
        kind=KIND,
        as_of=as_of,
        converted=f"""
- `products.jsonl` -> `products.jsonl`: id (UUID), name -> title, category, description, price,
  current_stock -> stock, tags = [style]; attributes: style, gender_affinity (when present), promoted
  (when present), where_visible. No brand, rating or image (upstream images are file names only); the
  other upstream fields (image, image_license, link, featured, aliases) are not converted.
- `offers.json` -> `policies/offers.md`: one section per offer ({len(offers)} offers) with its
  description and discount codes.
- No customers, orders or events: the upstream users have no purchase history.
""",
        synthesized="",
        counts=counts,
    )
    return ConvertSummary(kind=KIND, dest=dest, counts=counts)


def _read_jsonl(file: Path) -> list[dict[str, Any]]:
    with file.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _product(raw: dict[str, Any]) -> Product:
    style = raw.get("style")
    attributes = {"style": style} if style else {}
    if raw.get("gender_affinity"):
        attributes["gender_affinity"] = str(raw["gender_affinity"])
    if raw.get("promoted") is not None:
        attributes["promoted"] = str(raw["promoted"]).lower()
    if raw.get("where_visible"):
        attributes["where_visible"] = str(raw["where_visible"])
    return Product(
        id=raw["id"],
        title=raw["name"],
        category=raw.get("category", ""),
        description=raw.get("description", ""),
        price=raw["price"],
        stock=raw.get("current_stock"),
        tags=[style] if style else [],
        attributes=attributes,
    )


def _offers_policy(offers: list[dict[str, Any]]) -> str:
    """The "# Current offers" page: one "##" section per offer, in upstream id order."""
    sections = []
    for offer in sorted(offers, key=lambda o: o["id"]):
        codes = ", ".join(offer.get("codes", []))
        # Upstream "expiry": null means the offer has no end date; say so rather than nothing.
        expiry = f"Valid until {offer['expiry']}." if offer.get("expiry") else "No expiry date."
        sections.append(f"## {offer['description']}\n\nDiscount codes: {codes}. {expiry}")
    intro = "The store's current discount offers and their discount codes."
    return "# Current offers\n\n" + intro + "\n\n" + "\n\n".join(sections) + "\n"
