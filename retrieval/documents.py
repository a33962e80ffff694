"""The text each index sees for a product or a policy passage.

The lexical (BM25) index reads the whole product (`product_document`); the dense index
embeds the same text with the description cut to its opening sentences
(`product_embedding_text`). The embedder's cost grows with the tokens it reads (about
2,200 a second on two cores), and the description is most of a product's tokens; its
opening carries most of what a shopper's words match. Measured on our labelled set
(bench.retrieval, README "Ingest"): whole descriptions embed 22 products/s at hybrid nDCG@10 0.816,
40 words 29/s at 0.812, 16 words 52/s at 0.788. A product's vector is hashed from this
text, so an edit past the opening re-embeds nothing.
"""

from __future__ import annotations

import re

from knowledge import PolicyPassage, Product

# Options with more values than this are summarised; a T-shirt's 40 colour/size
# combinations would otherwise crowd the description out of the embedder's window.
_MAX_OPTION_VALUES = 12
# Words of the description the dense index embeds: the shortest opening that kept hybrid
# nDCG@10 within 0.01 of embedding whole descriptions (see the module docstring).
EMBED_DESCRIPTION_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


def product_document(product: Product, description_words: int | None = None) -> str:
    """The product as an index reads it; `description_words` keeps only the description's opening."""
    lines = [product.title]
    if product.brand:
        lines.append(f"Brand: {product.brand}")
    if product.category:
        lines.append(f"Category: {product.category.replace('-', ' ')}")
    if product.tags:
        lines.append("Tags: " + ", ".join(tag.replace("-", " ") for tag in product.tags))
    if product.description:
        description = product.description
        lines.append(description if description_words is None else opening(description, description_words))
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


def product_embedding_text(product: Product) -> str:
    """What the dense index embeds for a product (and hashes to tell whether to re-embed it)."""
    return product_document(product, description_words=EMBED_DESCRIPTION_WORDS)


def opening(text: str, words: int) -> str:
    """The whole sentences at the start of `text` that fit in `words` words; a first sentence
    longer than that is cut at `words`."""
    kept: list[str] = []
    count = 0
    for sentence in _SENTENCE_END.split(text.strip()):
        size = len(sentence.split())
        if kept and count + size > words:
            break
        kept.append(" ".join(sentence.split()[: words - count]))
        count += size
        if count >= words:
            break
    return " ".join(kept)


def passage_document(passage: PolicyPassage) -> str:
    return f"{passage.heading()}\n{passage.text}"
