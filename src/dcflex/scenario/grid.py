"""The grid connection: import and export limits, the tariff and the carbon signals.

A tariff prices energy either as a series or as time-of-use periods, plus demand charges on
the monthly peak and fixed charges.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from dcflex.scenario.series import SeriesSpec, StrictModel


class Grid(StrictModel):
    """Connection to the grid."""

    import_limit_mw: float = Field(gt=0, description="Interconnection import capacity, MW.")
    export_limit_mw: float = Field(0.0, ge=0, description="Export capacity, MW.")
    export_price_usd_per_mwh: SeriesSpec | Literal["wholesale"] = Field(
        "wholesale", description="Price paid for exported energy, USD/MWh."
    )
    peak_not_above_baseline: bool = Field(
        False, description="Cap each local month's import at the business-as-usual twin's "
                           "peak of that month (the flexible site never raises a monthly peak).")


LocalHour = Annotated[int, Field(ge=0, le=24)]
Month = Annotated[int, Field(ge=1, le=12)]


def _non_empty_hours(hours: tuple[int, int] | None) -> tuple[int, int] | None:
    """Refuse a window of no hours ([7, 7], [24, 0]): it would silently drop the charge."""
    if hours is not None and hours[0] % 24 == hours[1] % 24 and tuple(hours) != (0, 24):
        raise ValueError(f"hours [{hours[0]}, {hours[1]}] is an empty window; give [start, end) "
                         "with end after start (or [22, 6] to wrap midnight, [0, 24] for the "
                         "whole day)")
    return hours


LocalHours = Annotated[tuple[LocalHour, LocalHour], AfterValidator(_non_empty_hours)]


class TouPeriod(StrictModel):
    """A time-of-use energy rate period (local time).

    Periods may not overlap, except with the one marked ``default``, which applies wherever
    no other period does (a tariff sheet's "all other hours").
    """

    price_usd_per_mwh: float = Field(description="Energy rate in this period, USD/MWh.")
    hours: LocalHours = Field(
        (0, 24),
        description="Local hours [start, end), 0..24, e.g. [16, 21]; [22, 6] wraps midnight; "
                    "the whole day if omitted.")
    months: list[Month] = Field(default_factory=lambda: list(range(1, 13)),
                                description="Months (1..12) the period applies in.")
    weekdays_only: bool = False
    default: bool = Field(False, description="Applies wherever no other period does.")

    def cells(self) -> set[tuple[int, int, bool]]:
        """(month, local hour, is weekday) cells the period covers."""
        a, b = self.hours
        hours = range(a, b) if a <= b else [*range(a, 24), *range(0, b)]
        days = (True,) if self.weekdays_only else (True, False)
        return {(m, h, d) for m in self.months for h in hours for d in days}

    def describe(self) -> str:
        a, b = self.hours
        months = "all months" if sorted(self.months) == list(range(1, 13)) else (
            "months " + ",".join(str(m) for m in self.months))
        days = ", weekdays" if self.weekdays_only else ""
        return f"{a:02d}-{b:02d} h, {months}{days}, {self.price_usd_per_mwh:g} USD/MWh"


class DemandCharge(StrictModel):
    """A demand charge on the monthly peak import (local billing months)."""

    rate_usd_per_mw_month: float = Field(ge=0, description="USD per MW of monthly peak.")
    hours: LocalHours | None = Field(
        None, description="Demand window, local hours [start, end), 0..24; [22, 6] wraps "
                          "midnight; whole day if omitted."
    )
    weekdays_only: bool = False


class Tariff(StrictModel):
    """Energy, demand and fixed charges."""

    energy_price_usd_per_mwh: SeriesSpec | None = Field(
        None, description="Wholesale or retail energy price per step, USD/MWh."
    )
    tou: list[TouPeriod] | None = Field(None, description="Time-of-use rates (local time).")
    adder_usd_per_mwh: float = Field(0.0, description="Added to every MWh imported, USD/MWh.")
    demand_charges: list[DemandCharge] = Field(default_factory=list)
    fixed_usd_per_month: float = Field(0.0, ge=0, description="Fixed charge, USD per month.")

    @field_validator("tou")
    @classmethod
    def _periods_do_not_overlap(cls, periods: list[TouPeriod] | None
                                ) -> list[TouPeriod] | None:
        # an overlap used to be settled silently by list order; a tariff sheet never has one
        if not periods:
            return periods
        defaults = [i for i, p in enumerate(periods) if p.default]
        if len(defaults) > 1:
            raise ValueError(f"only one period may be the default, got tou[{defaults[0]}] and "
                             f"tou[{defaults[1]}]")
        rest = [(i, p, p.cells()) for i, p in enumerate(periods) if not p.default]
        for k, (i, p, cells_i) in enumerate(rest):
            for j, q, cells_j in rest[k + 1:]:
                common = cells_i & cells_j
                if common:
                    m, h, weekday = min(common)
                    raise ValueError(
                        f"tou[{i}] ({p.describe()}) and tou[{j}] ({q.describe()}) overlap, "
                        f"e.g. month {m} at {h:02d}:00 on {'weekdays' if weekday else 'weekends'}"
                        f"; mark the all-other-hours period 'default: true'")
        return periods

    @model_validator(mode="after")
    def _one_energy_price(self) -> Tariff:
        if (self.energy_price_usd_per_mwh is None) == (self.tou is None):
            raise ValueError("give exactly one of energy_price_usd_per_mwh or tou")
        return self


class Carbon(StrictModel):
    """Grid carbon signals and carbon objectives."""

    average_kg_per_mwh: SeriesSpec = Field(description="Average grid intensity, kg CO2/MWh.")
    marginal_kg_per_mwh: SeriesSpec | None = Field(
        None, description="Marginal grid intensity, kg CO2/MWh."
    )
    grid_cfe_fraction: SeriesSpec | None = Field(
        None, description="Carbon-free share of grid supply per step, fraction 0..1."
    )
    price_usd_per_t: float = Field(0.0, ge=0, description="Carbon price, USD per t CO2.")
    cfe_target: float | None = Field(
        None, ge=0, le=1, description="Minimum hourly-matched clean-energy score (fraction)."
    )
