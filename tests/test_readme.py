"""The README documents what the code does: every setting, every command, every store field."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from knowledge import Customer, Event, Order, Product
from ui.cli import app
from ui.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_settings_table() -> None:
    for name in Settings.model_fields:
        assert f"AISLE_{name.upper()}" in README, name


def test_every_cli_command_is_documented() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"aisle {name}" in README, name


def _documented_fields(section: str) -> str:
    start = README.index(f"### {section}")
    end = README.find("\n### ", start + 1)
    return README[start : end if end != -1 else None]


def test_every_store_folder_field_is_documented() -> None:
    models: dict[str, type[BaseModel]] = {
        "products.jsonl": Product,
        "customers.jsonl": Customer,
        "orders.jsonl": Order,
        "events.jsonl": Event,
    }
    for section, model in models.items():
        text = _documented_fields(section)
        for field in model.model_fields:
            assert re.search(rf"`{field}`", text), f"{section}: {field}"
