"""Converters from public demo data sets to Aisle store folders.

`convert(kind, source, dest)` reads one data set (as laid out in /work/shared/data) and
writes a complete store folder: products, policies, customers, orders and events, plus
SOURCE.md and the source's LICENSE. Every row is built as a `knowledge` model before it
is written, so a written folder is valid by construction.

Fields the sources lack (order dates, statuses, carriers, shopper events) are synthesized
from seeded random generators and the `as_of` date, never from the wall clock, so
converting twice writes byte-identical files.

Regenerating the bundled folders (their tests fail when they drift from the converters):

    from pathlib import Path
    from knowledge.converters import convert
    data = Path("/work/shared/data")
    convert("dummyjson", data / "dummyjson_store", Path("knowledge/demo_store"))
    convert("tau-bench", data / "tau_bench_retail", Path("bench/stores/tau-retail"))
    convert("retail-demo-store", data / "retail_demo_store", Path("bench/stores/retail-demo"))
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from knowledge.converters import dummyjson, retail_demo_store, tau_bench
from knowledge.converters._writing import DEFAULT_AS_OF, ConvertSummary

# The kinds `convert` accepts and the function implementing each.
_MODULES: dict[str, Callable[[Path, Path, date], ConvertSummary]] = {
    "dummyjson": dummyjson.convert,
    "tau-bench": tau_bench.convert,
    "retail-demo-store": retail_demo_store.convert,
}
CONVERTERS: tuple[str, ...] = tuple(_MODULES)

__all__ = ["CONVERTERS", "DEFAULT_AS_OF", "ConvertSummary", "convert"]


def convert(kind: str, source: Path, dest: Path, as_of: date | None = None) -> ConvertSummary:
    """Convert the data set in `source` into a store folder at `dest`.

    `as_of` is the day the synthesized history ends (default DEFAULT_AS_OF). The files a
    converter owns in `dest` (the row files, policies/*.md, SOURCE.md, LICENSE) are
    replaced, and only after the source has been read in full; anything else is left alone.

    Raises:
        ValueError: `kind` is not one of CONVERTERS.
        FileNotFoundError: `source` lacks a file the converter needs.
    """
    if kind not in _MODULES:
        raise ValueError(f"unknown converter {kind!r}; valid kinds: {', '.join(CONVERTERS)}")
    return _MODULES[kind](Path(source), Path(dest), as_of or DEFAULT_AS_OF)
