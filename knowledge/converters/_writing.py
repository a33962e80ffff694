"""Helpers the converters share: writing store-folder files and synthesizing history."""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from knowledge.events import Event

# Files a converter owns in its destination; they are removed before writing so that a
# re-run never leaves a stale file behind (e.g. a customers.jsonl the new source lacks).
_OWNED_FILES = (
    "products.jsonl",
    "products.csv",
    "customers.jsonl",
    "orders.jsonl",
    "events.jsonl",
    "SOURCE.md",
    "LICENSE",
)

COUNT_KEYS = ("products", "variants", "customers", "orders", "events", "policies")

# A fixed "today" so that synthesized dates (and therefore the files) never depend on
# when the converter runs.
DEFAULT_AS_OF = date(2026, 11, 20)


@dataclass(frozen=True)
class ConvertSummary:
    """What a conversion wrote: rows per kind, under the keys in COUNT_KEYS."""

    kind: str
    dest: Path
    counts: dict[str, int] = field(default_factory=dict)


def prepare_dest(dest: Path) -> None:
    """Create `dest` and remove the files a previous conversion wrote there."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in _OWNED_FILES:
        (dest / name).unlink(missing_ok=True)
    policies = dest / "policies"
    if policies.is_dir():
        for file in policies.glob("*.md"):
            file.unlink()


def natural_key(text: str) -> tuple[int, int, str]:
    """Sort key putting "2" before "10" (numeric ids by value, other ids as text after)."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def write_text(file: Path, text: str) -> None:
    """Write UTF-8 text with "\\n" line endings, creating the parent folder."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_jsonl(file: Path, rows: Iterable[BaseModel]) -> int:
    """Write one model per line (defaults left out) in the given order; returns the row count.

    Nothing is written for an empty iterable, so a store without customers has no
    customers.jsonl rather than an empty one.
    """
    lines = [row.model_dump_json(exclude_defaults=True) for row in rows]
    if lines:
        write_text(file, "".join(f"{line}\n" for line in lines))
    return len(lines)


def sorted_events(events: Iterable[Event]) -> list[Event]:
    """Events in time order, one per id.

    An event's id derives from its content, so two identical events (e.g. one shopper's two
    reviews of a product on the same day, each a "view") would be stored once anyway;
    dropping them here keeps the file's line count equal to what the database holds.
    """
    unique = {event.id: event for event in events}
    return sorted(unique.values(), key=_event_order)


def _event_order(event: Event) -> tuple:
    return (event.ts, event.customer_id or "", event.kind, event.product_id or "", event.id)


def start_of(as_of: date) -> datetime:
    """Midnight UTC at the start of `as_of`: the "now" of the synthesized history."""
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)


def random_span(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    """A duration between `low` and `high`, to the whole second."""
    return timedelta(seconds=rng.randint(int(low.total_seconds()), int(high.total_seconds())))


def shipping_dates(rng: random.Random, created_at: datetime) -> tuple[datetime, datetime]:
    """(shipped_at, delivered_at): shipped 1-3 days after the order, delivered 2-6 days later."""
    shipped_at = created_at + random_span(rng, timedelta(days=1), timedelta(days=3))
    return shipped_at, shipped_at + random_span(rng, timedelta(days=2), timedelta(days=6))


def tracking_number(rng: random.Random) -> str:
    """A 12-digit tracking number (the format τ-bench uses)."""
    return str(rng.randrange(10**11, 10**12))


def copy_license(source: Path, dest: Path) -> None:
    """Copy the source's LICENSE file byte for byte."""
    shutil.copyfile(source / "LICENSE", dest / "LICENSE")


def source_lines(source: Path) -> tuple[str, str]:
    """The "- Origin:" and "- License:" lines of the source's SOURCE.md, verbatim.

    Raises:
        ValueError: SOURCE.md lacks one of them (we must not publish data without both).
    """
    text = (source / "SOURCE.md").read_text(encoding="utf-8")
    found = {}
    for label in ("Origin", "License"):
        match = re.search(rf"^- {label}:.*$", text, flags=re.MULTILINE)
        if not match:
            raise ValueError(f"{source / 'SOURCE.md'} has no '- {label}:' line")
        found[label] = match.group(0)
    return found["Origin"], found["License"]


def write_source_md(
    dest: Path,
    *,
    title: str,
    source: Path,
    kind: str,
    as_of: date,
    converted: str,
    synthesized: str,
    counts: dict[str, int],
) -> None:
    """Write dest/SOURCE.md: origin and licence (from the source), what was done, counts.

    `converted` and `synthesized` are Markdown (usually a bullet list) placed under their
    own headings.
    """
    origin, licence = source_lines(source)
    count_rows = "\n".join(f"| {key} | {counts.get(key, 0):,} |" for key in COUNT_KEYS)
    text = f"""# {title}

Generated by `knowledge.converters.convert("{kind}", <source>, <dest>, as_of={as_of.isoformat()})`
from the data set in `{source.name}/` (see its SOURCE.md). Do not edit by hand: re-run the
converter instead; it reproduces this folder byte for byte.

## Origin and licence

{origin}
{licence}
- The source's LICENSE file is copied next to this file.

## Converted

{converted.strip()}

## Synthesized

{synthesized.strip() or "Nothing."}

## Counts

| rows | count |
| --- | --- |
{count_rows}
"""
    write_text(dest / "SOURCE.md", text)
