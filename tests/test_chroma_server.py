"""The same search works against embedded Chroma and against a Chroma server."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import Embedder, ingest_store
from ui.services import build_services
from ui.settings import Settings

QUERIES = ["wireless earbuds under 100", "in stock laptops", "red lipstick", "手机", "phone case under $30"]


@pytest.mark.server
def test_search_over_a_chroma_server_matches_embedded(
    chroma_server: str, store_copy: Path, tmp_path: Path, embedder: Embedder
) -> None:
    local = build_services(Settings(data_dir=tmp_path / "local"), embedder=embedder, with_assistant=False)
    remote = build_services(
        Settings(data_dir=tmp_path / "remote", chroma_url=chroma_server), embedder=embedder, with_assistant=False
    )

    ingest_store(store_copy, local.db, local.indexer)
    report = ingest_store(store_copy, remote.db, remote.indexer)
    again = ingest_store(store_copy, remote.db, remote.indexer)

    assert report.embedded > 0 and again.embedded == 0
    for query in QUERIES:
        local_ids = [h.product.id for h in local.products.search(query, k=10).hits]
        remote_ids = [h.product.id for h in remote.products.search(query, k=10).hits]
        assert remote_ids, query
        assert remote_ids == local_ids, query
    budget = remote.products.search("wireless earbuds under 100", k=5)
    assert budget.hits[0].product.title == "Beats Flex Wireless Earphones"
    local.close()
    remote.close()
