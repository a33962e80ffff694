"""Reading a store folder: every row validated, every bad row reported, every good row kept.

The folder contract (documented in the README):

    products.csv | products.jsonl   the catalog (one of the two)
    policies/*.md                   store policies, one Markdown file each
    customers.jsonl                 customers
    orders.jsonl                    orders
    events.jsonl                    shopper behaviour

A bad row never stops the load: it becomes a `RowIssue` naming the file, the line and
the reason, and the rest of the file still loads.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from knowledge.catalog import Product, Variant
from knowledge.customers import Customer
from knowledge.errors import StoreFolderError
from knowledge.events import Event
from knowledge.orders import Order
from knowledge.policies import Policy, parse_policy

Model = TypeVar("Model", bound=BaseModel)

# CSV cells hold text; these product columns hold a list ("a|b") or a mapping ("k=v|k=v").
_CSV_LIST_FIELDS = {"tags"}
_CSV_MAP_FIELDS = {"attributes", "options"}
# A CSV row describes one variant through these columns; rows sharing an `id` are one product.
_CSV_VARIANT_COLUMNS = {
    "variant_id": "id",
    "variant_price": "price",
    "variant_available": "available",
    "variant_stock": "stock",
    "variant_sku": "sku",
    "options": "options",
}


@dataclass(frozen=True)
class RowIssue:
    """A problem with one row (or a whole file when `line` is None)."""

    file: str
    line: int | None
    reason: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: {self.reason}"


@dataclass
class LoadReport:
    """What a load read: rows loaded per file and the issues found."""

    loaded: dict[str, int] = field(default_factory=dict)
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[RowIssue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    def is_complete(self, file: str) -> bool:
        """True when `file` (a name such as "products.csv" or "policies") had no bad row."""
        return not any(
            issue.severity == "error" and (issue.file == file or issue.file.startswith(f"{file}/"))
            for issue in self.issues
        )


@dataclass(frozen=True)
class StoreFolder:
    """The validated contents of a store folder."""

    path: Path
    products: list[Product]
    policies: list[Policy]
    customers: list[Customer]
    orders: list[Order]
    events: list[Event]
    report: LoadReport
    products_file: str | None


def load_store_folder(path: Path) -> StoreFolder:
    """Read and validate every file of a store folder.

    Raises:
        StoreFolderError: the folder does not exist, or holds both products.csv and
            products.jsonl (which one is the catalog would be a guess).
    """
    path = Path(path)
    if not path.is_dir():
        raise StoreFolderError(f"store folder {path} does not exist or is not a folder")
    report = LoadReport()
    csv_file, jsonl_file = path / "products.csv", path / "products.jsonl"
    if csv_file.exists() and jsonl_file.exists():
        raise StoreFolderError(f"{path} holds both products.csv and products.jsonl; keep only the one that is current")
    products: list[Product] = []
    products_file = None
    if csv_file.exists():
        products_file, products = "products.csv", _read_products_csv(csv_file, report)
    elif jsonl_file.exists():
        products_file, products = "products.jsonl", _read_jsonl(jsonl_file, Product, report)
    else:
        report.issues.append(
            RowIssue("products.jsonl", None, "no products.csv or products.jsonl: the catalog is empty", "warning")
        )
    return StoreFolder(
        path=path,
        products=products,
        policies=_read_policies(path / "policies", report),
        customers=_read_jsonl(path / "customers.jsonl", Customer, report),
        orders=_read_jsonl(path / "orders.jsonl", Order, report),
        events=_read_jsonl(path / "events.jsonl", Event, report, unique_ids=False),
        report=report,
        products_file=products_file,
    )


def _describe(error: ValidationError) -> str:
    """Pydantic's errors in one line: "price: Input should be a valid number (got 'abc')"."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "row"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] not in {"missing", "value_error"} and not isinstance(item.get("input"), dict | list):
            message += f" (got {item.get('input')!r})"
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def _known_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def _warn_unknown(file: str, unknown: set[str], report: LoadReport) -> None:
    if unknown:
        report.issues.append(RowIssue(file, None, f"ignored unknown field(s): {', '.join(sorted(unknown))}", "warning"))


def _read_jsonl(file: Path, model: type[Model], report: LoadReport, unique_ids: bool = True) -> list[Model]:
    if not file.exists():
        return []
    rows: list[Model] = []
    first_line: dict[str, int] = {}
    unknown: set[str] = set()
    known = _known_fields(model)
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                report.issues.append(RowIssue(file.name, number, f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(data, dict):
                report.issues.append(RowIssue(file.name, number, "a row must be a JSON object"))
                continue
            unknown |= set(data) - known
            try:
                row = model.model_validate(data)
            except ValidationError as exc:
                report.issues.append(RowIssue(file.name, number, _describe(exc)))
                continue
            row_id = getattr(row, "id", None)
            if unique_ids and row_id is not None:
                if row_id in first_line:
                    reason = f"duplicate id {row_id!r} (first on line {first_line[row_id]}); row skipped"
                    report.issues.append(RowIssue(file.name, number, reason))
                    continue
                first_line[row_id] = number
            rows.append(row)
    _warn_unknown(file.name, unknown, report)
    report.loaded[file.name] = len(rows)
    return rows


def _csv_cell(column: str, value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    if column in _CSV_LIST_FIELDS | _CSV_MAP_FIELDS and value[0] in "[{":
        return json.loads(value)
    if column in _CSV_LIST_FIELDS:
        return [part.strip() for part in value.split("|") if part.strip()]
    if column in _CSV_MAP_FIELDS:
        pairs = [part.split("=", 1) for part in value.split("|") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"{column} must look like 'key=value|key=value', got {value!r}")
        return {key.strip(): val.strip() for key, val in pairs}
    return value


def _csv_rows(file: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        start = 2  # line 1 is the header
        for row in reader:
            yield start, row
            start = reader.line_num + 1


def _read_products_csv(file: Path, report: LoadReport) -> list[Product]:
    """Rows sharing an `id` are one product; each row with a `variant_id` adds a variant."""
    groups: dict[str, dict[str, Any]] = {}
    unknown: set[str] = set()
    known = _known_fields(Product) | set(_CSV_VARIANT_COLUMNS)
    for line, raw in _csv_rows(file):
        if None in raw:
            report.issues.append(RowIssue(file.name, line, "more cells than header columns"))
            continue
        unknown |= {column for column in raw if column} - known
        try:
            cells = {col: _csv_cell(col, val or "") for col, val in raw.items() if col in known}
        except ValueError as exc:
            report.issues.append(RowIssue(file.name, line, str(exc)))
            continue
        product_id = (cells.get("id") or "").strip()
        if not product_id:
            report.issues.append(RowIssue(file.name, line, "id: Field required"))
            continue
        variant = {target: cells.pop(column) for column, target in _CSV_VARIANT_COLUMNS.items() if column in cells}
        group = groups.setdefault(product_id, {"line": line, "fields": cells, "variants": []})
        if variant.get("id") is not None:
            try:
                group["variants"].append(Variant.model_validate({k: v for k, v in variant.items() if v is not None}))
            except ValidationError as exc:
                report.issues.append(RowIssue(file.name, line, "variant " + _describe(exc)))
        elif group["line"] != line:
            report.issues.append(
                RowIssue(file.name, line, f"duplicate id {product_id!r} (first on line {group['line']}); row skipped")
            )
    products = []
    for group in groups.values():
        fields = {key: value for key, value in group["fields"].items() if value is not None}
        try:
            products.append(Product.model_validate({**fields, "variants": group["variants"]}))
        except ValidationError as exc:
            report.issues.append(RowIssue(file.name, group["line"], _describe(exc)))
    _warn_unknown(file.name, unknown, report)
    report.loaded[file.name] = len(products)
    return products


def _read_policies(folder: Path, report: LoadReport) -> list[Policy]:
    if not folder.is_dir():
        return []
    policies = []
    for file in sorted(folder.glob("*.md")):
        name = f"policies/{file.name}"
        try:
            policies.append(parse_policy(file.read_text(encoding="utf-8"), policy_id=file.stem))
        except (ValueError, UnicodeDecodeError) as exc:
            report.issues.append(RowIssue(name, None, str(exc)))
    report.loaded["policies"] = len(policies)
    return policies
