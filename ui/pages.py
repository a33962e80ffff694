"""Plain pages: the search page, product pages, the demo shop that embeds the widget, and
the widget script itself."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from agent.sources import money
from ui.shopper_api import ServicesDep

router = APIRouter(include_in_schema=False)
_STATIC = Path(__file__).parent / "static"


@router.get("/", response_class=HTMLResponse)
def home() -> str:
    return (_STATIC / "home.html").read_text(encoding="utf-8")


@router.get("/widget.js")
def widget() -> Response:
    # Short caching: stores embed this URL; a new release should reach them within minutes.
    return Response(
        (_STATIC / "widget.js").read_text(encoding="utf-8"),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/demo", response_class=HTMLResponse)
def demo() -> str:
    return (_STATIC / "demo.html").read_text(encoding="utf-8")


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(product_id: str, services: ServicesDep) -> str:
    """The page a product card links to, for stores whose catalog has no product URLs."""
    product = services.catalog.product(product_id)
    if product is None:
        raise HTTPException(404, f"no product with id {product_id!r}")
    stock = "In stock" if product.in_stock else "Out of stock"
    if product.in_stock and product.stock is not None and not product.variants:
        stock += f" ({product.stock} left)"
    facts = [
        ("Price", money(product.price, product.currency)),
        ("Availability", stock),
        ("Brand", product.brand or ""),
        ("Warranty", product.warranty or ""),
        ("Shipping", product.shipping or ""),
        ("Returns", product.return_policy or ""),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts if v)
    variants = "".join(
        f"<li>{escape(v.label())}: {escape(money(v.price, product.currency))}"
        f"{'' if v.in_stock else ' (out of stock)'}</li>"
        for v in product.variants
    )
    image = f'<img src="{escape(product.image_url)}" alt="" onerror="this.remove()">' if product.image_url else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(product.title)}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}}
img{{max-width:16rem;float:right;margin:0 0 1rem 1rem}}th{{text-align:left;padding-right:1rem}}</style></head>
<body><p><a href="/demo">← {escape(services.settings.store_name)}</a></p>{image}
<h1>{escape(product.title)}</h1><p>{escape(product.description)}</p><table>{rows}</table>
{f"<h2>Options</h2><ul>{variants}</ul>" if variants else ""}
<script src="/widget.js" defer></script></body></html>"""
