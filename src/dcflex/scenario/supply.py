"""Supply besides the grid: on-site solar and wind, a clean-energy PPA and a battery."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dcflex.scenario.series import SeriesSpec, StrictModel


class Solar(StrictModel):
    """On-site photovoltaics (modelled with pvlib PVWatts)."""

    capacity_mw_dc: float = Field(gt=0, description="DC nameplate, MW.")
    tilt_deg: float | None = Field(None, ge=0, le=90, description="Tilt; latitude if omitted.")
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="Azimuth, degrees from north.")
    tracking: Literal["fixed", "single_axis"] = "fixed"
    dc_ac_ratio: float = Field(
        1.2, ge=0.5, le=3.0,
        description="DC/AC ratio (PVWatts default 1.2; Dobos, PVWatts Version 5 Manual, NREL/"
                    "TP-6A20-62641, 2014). Below 0.5 the inverter is so oversized that its "
                    "efficiency curve turns negative at ordinary irradiance and PV output "
                    "silently vanishes.")
    losses_pct: float = Field(14.0, ge=0, lt=100, description="System losses, % (PVWatts).")
    profile_fraction: SeriesSpec | None = Field(
        None, description="Output as fraction of AC capacity; replaces the weather model."
    )


class Wind(StrictModel):
    """On-site or contracted-in-front-of-meter wind."""

    capacity_mw: float = Field(gt=0, description="Nameplate, MW.")
    hub_height_m: float = Field(100.0, gt=0, description="Hub height, m.")
    wind_speed_m_per_s: SeriesSpec | None = Field(None, description="Wind speed, m/s.")
    measurement_height_m: float = Field(10.0, gt=0, description="Height of wind speed data, m.")
    profile_fraction: SeriesSpec | None = Field(
        None, description="Output as fraction of capacity; replaces the power curve."
    )
    losses_pct: float = Field(10.0, ge=0, lt=100, description="Wake and electrical losses, %.")


class Ppa(StrictModel):
    """A clean-power purchase agreement, settled as it is signed (``kind``).

    * ``virtual`` — a financial contract for differences: the site pays (strike − market
      price) × contracted generation; nothing crosses its meter.
    * ``physical`` — energy delivered through the grid: it crosses the meter (adder and demand
      charges apply) and is paid at the contract price instead of the market price.
    * ``direct_line`` — a remote plant on a dedicated line to the site: behind the meter, up
      to the line's capacity, less the line's losses.
    """

    kind: Literal["virtual", "physical", "direct_line"] = Field(
        description="How the contract is settled: virtual, physical or direct_line.")
    profile_mw: SeriesSpec = Field(description="Contracted generation per step, MW.")
    price_usd_per_mwh: float = Field(description="Contract (strike) price, USD/MWh.")
    line_capacity_mw: float | None = Field(
        None, gt=0, description="direct_line only: capacity of the line at the plant end, MW.")
    line_losses_pct: float | None = Field(
        None, ge=0, lt=100, description="direct_line only: energy lost on the line, % of what "
                                        "enters it.")

    @model_validator(mode="after")
    def _line_only_for_direct_line(self) -> Ppa:
        line = {"line_capacity_mw": self.line_capacity_mw,
                "line_losses_pct": self.line_losses_pct}
        if self.kind == "direct_line":
            missing = [k for k, v in line.items() if v is None]
            if missing:
                raise ValueError(f"kind direct_line needs {' and '.join(missing)}")
        else:
            given = [k for k, v in line.items() if v is not None]
            if given:
                raise ValueError(f"{' and '.join(given)} apply only to kind direct_line "
                                 f"(this contract is {self.kind})")
        return self


class Battery(StrictModel):
    """Battery energy storage at the site."""

    power_mw: float = Field(gt=0, description="Charge and discharge power limit, MW.")
    energy_mwh: float = Field(
        gt=0, description=("Nameplate energy capacity, MWh. The usable window is "
                           "(soc_max_fraction - soc_min_fraction) x energy_mwh (reported as "
                           "battery_usable_mwh); with the defaults 0.1-0.9, 80 % of nameplate."))
    charge_efficiency: float = Field(0.95, gt=0, le=1, description="Charge efficiency.")
    discharge_efficiency: float = Field(0.95, gt=0, le=1, description="Discharge efficiency.")
    soc_min_fraction: float = Field(
        0.1, ge=0, lt=1, description="Minimum state of charge, fraction of nameplate energy.")
    soc_max_fraction: float = Field(
        0.9, gt=0, le=1, description="Maximum state of charge, fraction of nameplate energy.")
    soc_initial_fraction: float = Field(0.5, ge=0, le=1, description="Start (= end) SoC.")
    cycle_cost_usd_per_mwh: float = Field(
        0.0, ge=0, description="Wear cost per MWh discharged, USD/MWh."
    )

    @property
    def usable_mwh(self) -> float:
        """Usable energy window, MWh: ``(soc_max_fraction - soc_min_fraction) * energy_mwh``."""
        return (self.soc_max_fraction - self.soc_min_fraction) * self.energy_mwh

    @model_validator(mode="after")
    def _soc_order(self) -> Battery:
        if not self.soc_min_fraction < self.soc_max_fraction:
            raise ValueError("soc_min_fraction must be below soc_max_fraction")
        if not self.soc_min_fraction <= self.soc_initial_fraction <= self.soc_max_fraction:
            raise ValueError("soc_initial_fraction must lie between soc_min and soc_max")
        return self
