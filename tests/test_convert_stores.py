"""The data-set converters: valid rows, expected counts, reproducible bytes, no secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge import load_store_folder
from knowledge.converters import CONVERTERS, DEFAULT_AS_OF, ConvertSummary, convert

DATA = Path("/work/shared/data")
REPO = Path(__file__).resolve().parents[1]
SOURCES = {
    "dummyjson": DATA / "dummyjson_store",
    "tau-bench": DATA / "tau_bench_retail",
    "retail-demo-store": DATA / "retail_demo_store",
}
BUNDLED = {
    "dummyjson": REPO / "knowledge" / "demo_store",
    "tau-bench": REPO / "bench" / "stores" / "tau-retail",
    "retail-demo-store": REPO / "bench" / "stores" / "retail-demo",
}
EXPECTED = {
    "dummyjson": {"products": 194, "variants": 0, "customers": 208, "orders": 208, "policies": 3},
    "tau-bench": {"products": 50, "variants": 591, "customers": 500, "orders": 1000, "policies": 1},
    "retail-demo-store": {"products": 2465, "variants": 0, "customers": 0, "orders": 0, "events": 0, "policies": 1},
}

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"the source data sets ({DATA}) are not present")


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    files = sorted(file for file in folder.rglob("*") if file.is_file())
    return {str(file.relative_to(folder)): file.read_bytes() for file in files}


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ConvertSummary, Path]]:
    """Each data set converted once into a temporary folder (shared by the tests below)."""
    if not DATA.is_dir():
        pytest.skip(f"the source data sets ({DATA}) are not present")
    root = tmp_path_factory.mktemp("stores")
    return {kind: (convert(kind, SOURCES[kind], root / kind), root / kind) for kind in CONVERTERS}


def test_unknown_kind_lists_the_valid_kinds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dummyjson, tau-bench, retail-demo-store"):
        convert("shopify", tmp_path, tmp_path / "out")


@needs_data
@pytest.mark.parametrize("kind", CONVERTERS)
def test_folder_loads_without_errors_and_with_the_expected_counts(kind: str, converted) -> None:
    summary, folder = converted[kind]
    store = load_store_folder(folder)

    assert store.report.errors == []
    assert store.report.warnings == []
    found = {
        "products": len(store.products),
        "variants": sum(len(product.variants) for product in store.products),
        "customers": len(store.customers),
        "orders": len(store.orders),
        "events": len(store.events),
        "policies": len(store.policies),
    }
    assert found == summary.counts
    assert {key: found[key] for key in EXPECTED[kind]} == EXPECTED[kind]
    assert (folder / "LICENSE").read_bytes() == (SOURCES[kind] / "LICENSE").read_bytes()
    assert "commit `" in (folder / "SOURCE.md").read_text(encoding="utf-8")


@needs_data
@pytest.mark.parametrize("kind", ["dummyjson", "tau-bench"])
def test_orders_and_events_point_at_known_rows_and_lie_before_as_of(kind: str, converted) -> None:
    store = load_store_folder(converted[kind][1])
    products = {product.id: product for product in store.products}
    customers = {customer.id for customer in store.customers}
    now = datetime(DEFAULT_AS_OF.year, DEFAULT_AS_OF.month, DEFAULT_AS_OF.day, tzinfo=UTC)

    assert store.events
    for order in store.orders:
        assert order.customer_id in customers
        assert order.created_at <= now
        assert all(stamp <= now for stamp in (order.shipped_at, order.delivered_at) if stamp)
        for item in order.items:
            assert item.product_id in products
            assert item.variant_id is None or products[item.product_id].variant(item.variant_id)
    for event in store.events:
        assert event.customer_id in customers
        assert event.product_id in products
        assert event.ts <= now


@needs_data
def test_dummyjson_order_status_follows_the_rules(converted) -> None:
    orders = load_store_folder(converted["dummyjson"][1]).orders

    cancelled = {order.id for order in orders if order.status == "cancelled"}
    assert cancelled == {f"#A{1000 + cart_id}" for cart_id in range(17, 209, 17)}
    for order in orders:
        shipped = order.status in ("shipped", "delivered")
        assert bool(order.shipments) == shipped
        assert (order.delivered_at is not None) == (order.status == "delivered")
        assert order.payments[0].amount == order.total


@needs_data
def test_tau_bench_keeps_the_upstream_status(converted) -> None:
    upstream = json.loads((SOURCES["tau-bench"] / "orders.json").read_text(encoding="utf-8"))
    orders = load_store_folder(converted["tau-bench"][1]).orders

    expected = {order_id: row["status"] for order_id, row in upstream.items()}
    assert {order.id: order.status for order in orders} == expected


@needs_data
def test_dummyjson_policies_list_the_terms_in_the_data(converted) -> None:
    products = json.loads((SOURCES["dummyjson"] / "products.json").read_text(encoding="utf-8"))
    policies = converted["dummyjson"][1] / "policies"
    returns = (policies / "returns.md").read_text(encoding="utf-8")
    shipping = (policies / "shipping.md").read_text(encoding="utf-8")
    warranty = (policies / "warranty.md").read_text(encoding="utf-8")

    for product in products:
        assert product["shippingInformation"] in shipping
        assert product["returnPolicy"].removesuffix(" return policy") in returns
        assert product["warrantyInformation"].removesuffix(" warranty") in warranty


@needs_data
@pytest.mark.parametrize("kind", CONVERTERS)
def test_converting_twice_gives_identical_bytes(kind: str, converted, tmp_path: Path) -> None:
    # The second run goes over stale files a previous conversion could have left behind.
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "old.md").write_text("# Old\n\nstale\n", encoding="utf-8")
    (tmp_path / "products.csv").write_text("id,title,price\n1,Stale,1\n", encoding="utf-8")

    convert(kind, SOURCES[kind], tmp_path)

    assert _files(tmp_path) == _files(converted[kind][1])


@needs_data
def test_demo_store_customers_hold_no_dummyjson_secret() -> None:
    users = json.loads((SOURCES["dummyjson"] / "users.json").read_text(encoding="utf-8"))
    secrets = {
        str(value)
        for user in users
        for value in (
            user["password"],
            user["bank"]["cardNumber"],
            user["bank"]["iban"],
            user["ssn"],
            user["ein"],
            user["crypto"]["wallet"],
            user["ip"],
            user["macAddress"],
        )
    }
    lines = (BUNDLED["dummyjson"] / "customers.jsonl").read_text(encoding="utf-8").splitlines()

    assert len(lines) == 208
    leaks = [(number, secret) for number, line in enumerate(lines, 1) for secret in secrets if secret in line]
    assert leaks == []


@needs_data
@pytest.mark.parametrize("kind", CONVERTERS)
def test_bundled_folder_equals_a_fresh_conversion(kind: str, converted) -> None:
    # The bundled folders are generated data: this fails when the converter or the source
    # changed and the folder was not regenerated (or the folder was edited by hand).
    fresh, bundled = _files(converted[kind][1]), _files(BUNDLED[kind])
    if kind == "dummyjson":
        assert bundled == fresh
    else:
        # A benchmark store may gain files of its own (e.g. tasks) next to the converted ones.
        assert {name: bundled.get(name) for name in fresh} == fresh
