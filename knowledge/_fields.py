"""Field types shared by the store's fact models.

Every model here is also the store-folder row schema: the same class validates a row of
`products.jsonl` and travels across package lines as a typed value, so the contract is
written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _cents(value: float) -> float:
    # Money is stated to the cent everywhere (prompts, grounding check, API), so it is
    # stored that way too; 19.999 in a feed would otherwise print as $20.00 or $19.999.
    return round(value, 2)


def _utc(value: datetime) -> datetime:
    # Store exports often omit the zone; we read such times as UTC rather than as the
    # server's local time, so the same file gives the same facts on every machine.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_cents)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class Fact(BaseModel):
    """Base of every store fact: immutable, whitespace-trimmed, unknown keys ignored.

    Unknown keys are ignored rather than refused so that a store export with extra
    columns still loads; the loader reports which keys it ignored.
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="ignore")
