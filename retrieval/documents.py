"""The text each index sees for a product or a policy passage.

Both the lexical and the dense index read the same text, so a change here changes both
(and, through the content hash, re-embeds exactly the documents whose text changed).
"""

from __future__ import annotations

from knowledge import PolicyPassage, Product

# Options with more values than this are summarised; a T-shirt's 40 colour/size
# combinations would otherwise crowd the description out of the embedder's window.
_MAX_OPTION_VALUES = 12


def product_document(product: Product) -> str:
    lines = [product.title]
    if product.brand:
        lines.append(f"Brand: {product.brand}")
    if product.category:
        lines.append(f"Category: {product.category.replace('-', ' ')}")
    if product.tags:
        lines.append("Tags: " + ", ".join(tag.replace("-", " ") for tag in product.tags))
    if product.description:
        lines.append(product.description)
    options: dict[str, list[str]] = {}
    for variant in product.variants:
        for key, value in variant.options.items():
            if value not in options.setdefault(key, []):
                options[key].append(value)
    for key, values in options.items():
        lines.append(f"{key.capitalize()}: {', '.join(sorted(values)[:_MAX_OPTION_VALUES])}")
    for key, value in product.attributes.items():
        if key in {"style", "material", "color", "colour", "size", "gender_affinity"}:
            lines.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    return "\n".join(lines)


def passage_document(passage: PolicyPassage) -> str:
    return f"{passage.heading()}\n{passage.text}"
