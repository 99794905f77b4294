"""Grid events of the period: demand-response calls and import caps (local time)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from dcflex.scenario.dates import IsoDateTime
from dcflex.scenario.series import StrictModel


def _check_window(start: datetime, end: datetime) -> None:
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise ValueError("give start and end both as local times or both with a UTC offset")
    if end <= start:
        raise ValueError("end must be after start")


class DemandResponseEvent(StrictModel):
    """A demand-response call: hold import at a cap during a local-time window.

    Payments and shortfall penalties belong to a programme the site enrols in; a site that
    cannot flex is not enrolled (it is neither paid nor penalized). An event without a
    shortfall penalty is a hard cap: an order every schedule must obey (the business-as-usual
    twin, which cannot, breaks it and the excess is reported). Reductions and fractional caps
    are measured against the customer baseline load ``cbl``.
    """

    start: IsoDateTime = Field(description="Start, local time of the site.")
    end: IsoDateTime = Field(description="End (exclusive), local time of the site.")
    reduce_to_fraction: float | None = Field(
        None, ge=0, le=1, description="Cap = this fraction of the business-as-usual import."
    )
    cap_mw: float | None = Field(None, ge=0, description="Absolute import cap, MW.")
    payment_usd_per_mwh: float = Field(0.0, ge=0, description="Paid per MWh reduced, USD/MWh.")
    shortfall_penalty_usd_per_mwh: float | None = Field(
        None, ge=0, description="Penalty per MWh above the cap; a hard cap if omitted."
    )
    cbl: Literal["ten_in_ten", "twin"] = Field(
        "ten_in_ten",
        description="Customer baseline load: 'ten_in_ten' (mean of the same hours on the 10 "
                    "most recent non-event weekdays of the site's own import, CAISO 10-in-10) "
                    "or 'twin' (the business-as-usual twin's import on the event day; an "
                    "approximation no programme uses).")

    @model_validator(mode="after")
    def _one_cap(self) -> DemandResponseEvent:
        if (self.reduce_to_fraction is None) == (self.cap_mw is None):
            raise ValueError("give exactly one of reduce_to_fraction or cap_mw")
        _check_window(self.start, self.end)
        return self


class ImportCap(StrictModel):
    """Flexible-interconnection hours: import capped during a local-time window."""

    start: IsoDateTime = Field(description="Start, local time of the site.")
    end: IsoDateTime = Field(description="End (exclusive), local time of the site.")
    cap_mw: float = Field(ge=0, description="Import cap, MW.")

    @model_validator(mode="after")
    def _ordered(self) -> ImportCap:
        _check_window(self.start, self.end)
        return self


class Events(StrictModel):
    demand_response: list[DemandResponseEvent] = Field(default_factory=list)
    import_caps: list[ImportCap] = Field(default_factory=list)
