"""Grid events of the period: demand-response calls and import caps (local time)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from dcflex.scenario.series import StrictModel


def _check_window(start: datetime, end: datetime) -> None:
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise ValueError("give start and end both as local times or both with a UTC offset")
    if end <= start:
        raise ValueError("end must be after start")


class DemandResponseEvent(StrictModel):
    """A demand-response call: hold import at a cap during a local-time window."""

    start: datetime = Field(description="Start, local time of the site.")
    end: datetime = Field(description="End (exclusive), local time of the site.")
    reduce_to_fraction: float | None = Field(
        None, ge=0, le=1, description="Cap = this fraction of the business-as-usual import."
    )
    cap_mw: float | None = Field(None, ge=0, description="Absolute import cap, MW.")
    payment_usd_per_mwh: float = Field(0.0, ge=0, description="Paid per MWh reduced, USD/MWh.")
    shortfall_penalty_usd_per_mwh: float | None = Field(
        None, ge=0, description="Penalty per MWh above the cap; a hard cap if omitted."
    )

    @model_validator(mode="after")
    def _one_cap(self) -> DemandResponseEvent:
        if (self.reduce_to_fraction is None) == (self.cap_mw is None):
            raise ValueError("give exactly one of reduce_to_fraction or cap_mw")
        _check_window(self.start, self.end)
        return self


class ImportCap(StrictModel):
    """Flexible-interconnection hours: import capped during a local-time window."""

    start: datetime = Field(description="Start, local time of the site.")
    end: datetime = Field(description="End (exclusive), local time of the site.")
    cap_mw: float = Field(ge=0, description="Import cap, MW.")

    @model_validator(mode="after")
    def _ordered(self) -> ImportCap:
        _check_window(self.start, self.end)
        return self


class Events(StrictModel):
    demand_response: list[DemandResponseEvent] = Field(default_factory=list)
    import_caps: list[ImportCap] = Field(default_factory=list)
