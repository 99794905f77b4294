"""Power usage effectiveness (PUE) of a data center from ambient weather.

The model is a per-step energy balance in units of kW per kW of IT load::

    PUE = 1 + distribution_loss + fixed_overhead / it_load_fraction
            + fans + pumps + mechanical_fraction * heat / COP

where ``heat = 1 + fans + pumps`` is the heat the cooling plant removes per kW of IT (the
fan and pump work ends up as heat in the loop), ``mechanical_fraction`` is the share of
that heat removed by a compressor instead of free (economizer) cooling, and ``COP`` is the
compressor's coefficient of performance at the current heat-sink temperature.

Economizer share (integrated economizer)
    With a supply set point ``T_s`` (supply air for an air-side economizer, chilled-water
    supply for a water-side one), a return temperature ``T_r`` and an economizer approach
    ``dT_e``, the outdoor medium at ``T_sink`` (dry bulb for air, wet bulb for a cooling
    tower) pre-cools the return stream down to ``T_sink + dT_e``; the compressor removes
    the rest, so the mechanical share of the heat is::

        mechanical_fraction = clip((T_sink + dT_e - T_s) / (T_r - T_s), 0, 1)

    i.e. full free cooling when ``T_sink <= T_s - dT_e`` and none when
    ``T_sink >= T_r - dT_e``.

Compressor COP (reversed Carnot with a second-law efficiency)
    ``COP = min(cop_max, eta * T_evap / (T_cond - T_evap))`` in kelvin, with
    ``T_evap = T_s - evaporator_approach`` and ``T_cond = T_sink + condenser_approach``.
    ``eta`` is calibrated so that the COP at the AHRI 550/590 standard rating point equals
    the ASHRAE Standard 90.1-2019 (Table 6.8.1-3, path A) minimum full-load efficiency:

    * air-cooled chiller: 10.1 EER = COP 2.96 at 35 degC entering air, 6.7 degC leaving
      chilled water. With evaporator approach 4 K and condenser approach 15 K the Carnot
      COP is 275.85 / 47.3 = 5.83, so ``eta = 0.508``.
    * water-cooled centrifugal chiller >= 300 ton: 0.560 kW/ton = COP 6.28 at 29.4 degC
      entering condenser water, 6.7 degC leaving chilled water. With evaporator approach
      2 K and condensing 7 K above entering condenser water the Carnot COP is
      277.85 / 31.7 = 8.76, so ``eta = 0.717``.

    ``cop_max`` stands for the minimum-lift limit of real compressors (low lift does not
    give the Carnot ratio); 7 (air-cooled) and 10 (water-cooled) are engineering judgement.

Default designs and the published ranges they are chosen to reproduce
    * Uptime Institute Global Data Center Survey 2023/2024: industry-average annual PUE
      1.58 (2023) and 1.56 (2024), dominated by older chiller-based enterprise and
      colocation sites -> ``"chiller"`` gives about 1.4-1.6 (hotter climates higher).
    * Google's fleet-wide trailing-twelve-month PUE was 1.10 in 2023 (Google 2024
      Environmental Report); Shehabi et al. (2016), *United States Data Center Energy
      Usage Report*, LBNL-1005775, assume PUE about 1.2 for hyperscale sites, and
      Shehabi et al. (2024), *2024 United States Data Center Energy Usage Report*,
      LBNL-2001637, model hyperscale/AI facilities far below the industry average
      (figures as recalled; check the report tables before quoting them) ->
      ``"air_economizer"`` and ``"water_economizer"`` give about 1.1-1.2 in mild climates.
    * ASHRAE TC 9.9, *Thermal Guidelines for Data Processing Environments*, 5th ed.
      (2021): recommended IT inlet 18-27 degC, which sets the 24 degC supply air of the
      air-side design and allows the 18 degC chilled water of the water-side design; an
      IT air temperature rise of about 12 K sets the 36 degC return air.

The electrical terms are assumptions stated here, not survey values: a modern
high-efficiency UPS (ENERGY STAR UPS criteria: 95-99 % efficiency at typical load) plus
transformer and PDU losses of 1-2 % give ``distribution_loss_fraction`` 0.05 in a
hyperscale plant and 0.08 in a legacy one; lighting, controls and no-load losses give
``fixed_overhead_fraction`` 0.01-0.02 of design IT power, which grows per IT kW as IT load
falls. Fan and pump fractions are chosen so that annual PUE falls in the ranges above.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from dcflex.errors import DataError, ScenarioError

__all__ = [
    "COOLING_DESIGNS",
    "CoolingDesign",
    "annual_pue",
    "compressor_cop",
    "mechanical_cooling_fraction",
    "monthly_pue",
    "pue_from_weather",
    "wet_bulb_stull",
]

_KELVIN = 273.15


@dataclass(frozen=True)
class CoolingDesign:
    """Parameters of one cooling design (all fractions are kW per kW of IT load).

    Attributes
    ----------
    heat_sink : {"dry_bulb", "wet_bulb"}
        Outdoor temperature the plant rejects heat to (air-cooled vs cooling tower).
    economizer : bool
        Whether free cooling is available (see module docstring for the ramp).
    supply_c : float
        Supply set point, degC: supply air (air-side) or chilled-water supply.
    return_c : float
        Return temperature, degC, of the stream the economizer pre-cools.
    economizer_approach_k : float
        Outdoor-to-supply approach of free cooling, K (fan heat and mixing for air; heat
        exchanger plus cooling-tower approach for water).
    evaporator_approach_k : float
        Supply temperature minus refrigerant evaporating temperature, K.
    condenser_approach_k : float
        Refrigerant condensing temperature minus the heat-sink temperature, K.
    second_law_efficiency : float
        Ratio of real to reversed-Carnot COP (calibrated, see module docstring).
    cop_max : float
        Upper bound of the COP at low lift.
    distribution_loss_fraction : float
        UPS, transformer and PDU losses, proportional to IT load.
    fixed_overhead_fraction : float
        Lighting, controls and no-load losses per kW of *design* IT load.
    fan_fraction : float
        Air-mover power (CRAH/AHU fans).
    pump_fraction : float
        Chilled- and condenser-water pumps and cooling-tower fans.
    """

    heat_sink: str
    economizer: bool
    supply_c: float
    return_c: float
    economizer_approach_k: float
    evaporator_approach_k: float
    condenser_approach_k: float
    second_law_efficiency: float
    cop_max: float
    distribution_loss_fraction: float
    fixed_overhead_fraction: float
    fan_fraction: float
    pump_fraction: float


# Air-cooled compressor efficiency calibrated to ASHRAE 90.1-2019 air-cooled chiller minimum.
_ETA_AIR_COOLED = 0.508
# Water-cooled efficiency calibrated to ASHRAE 90.1-2019 centrifugal (>= 300 ton) minimum.
_ETA_WATER_COOLED = 0.717

COOLING_DESIGNS: dict[str, CoolingDesign] = {
    # Hyperscale hall with air-side economizer and DX trim; supply air 24 degC (ASHRAE
    # recommended 18-27 degC), 2 K fan heat/mixing, return air 36 degC (about 12 K IT rise).
    "air_economizer": CoolingDesign(
        heat_sink="dry_bulb",
        economizer=True,
        supply_c=24.0,
        return_c=36.0,
        economizer_approach_k=2.0,
        evaporator_approach_k=10.0,  # DX coil: refrigerant about 10 K below supply air
        condenser_approach_k=15.0,
        second_law_efficiency=_ETA_AIR_COOLED,
        cop_max=7.0,
        distribution_loss_fraction=0.05,
        fixed_overhead_fraction=0.01,
        fan_fraction=0.035,
        pump_fraction=0.0,
    ),
    # Warm chilled water 18/26 degC with cooling towers; free cooling through a plate heat
    # exchanger (2 K) fed by the tower (4 K approach to wet bulb); water-cooled centrifugal
    # chiller condensing 7 K above entering condenser water, i.e. 11 K above wet bulb.
    "water_economizer": CoolingDesign(
        heat_sink="wet_bulb",
        economizer=True,
        supply_c=18.0,
        return_c=26.0,
        economizer_approach_k=6.0,
        evaporator_approach_k=2.0,
        condenser_approach_k=11.0,
        second_law_efficiency=_ETA_WATER_COOLED,
        cop_max=10.0,
        distribution_loss_fraction=0.05,
        fixed_overhead_fraction=0.01,
        fan_fraction=0.04,
        pump_fraction=0.03,
    ),
    # Legacy enterprise/colocation: air-cooled chiller at 10 degC chilled water, no
    # economizer, constant-speed CRAC fans, double-conversion UPS.
    "chiller": CoolingDesign(
        heat_sink="dry_bulb",
        economizer=False,
        supply_c=10.0,
        return_c=16.0,
        economizer_approach_k=0.0,
        evaporator_approach_k=4.0,
        condenser_approach_k=15.0,
        second_law_efficiency=_ETA_AIR_COOLED,
        cop_max=7.0,
        distribution_loss_fraction=0.08,
        fixed_overhead_fraction=0.02,
        fan_fraction=0.08,
        pump_fraction=0.03,
    ),
}


def _check_series(s: pd.Series, field: str) -> None:
    if not isinstance(s, pd.Series):
        raise DataError(f"expected a pandas Series, got {type(s).__name__}", field=field)
    idx = s.index
    if not isinstance(idx, pd.DatetimeIndex) or idx.tz is None:
        raise DataError(
            f"expected a tz-aware UTC DatetimeIndex, got {type(idx).__name__}"
            f" with tz={getattr(idx, 'tz', None)}",
            field=field,
        )
    if str(idx.tz) != "UTC":
        raise DataError(f"expected time zone UTC, got {idx.tz}; convert with tz_convert('UTC')",
                        field=field)
    if s.isna().any():
        n = int(s.isna().sum())
        first = s.index[s.isna().to_numpy()][0]
        raise DataError(f"expected no missing values, found {n} (first at {first})", field=field)


def wet_bulb_stull(temp_air_c: pd.Series, relative_humidity_pct: pd.Series) -> pd.Series:
    """Wet-bulb temperature from dry bulb and relative humidity (Stull 2011).

    ``Tw = T atan(0.151977 (RH + 8.313659)^0.5) + atan(T + RH) - atan(RH - 1.676331)
    + 0.00391838 RH^1.5 atan(0.023101 RH) - 4.686035`` (angles in radians).

    Parameters
    ----------
    temp_air_c : pandas.Series
        Dry-bulb air temperature, degC.
    relative_humidity_pct : pandas.Series
        Relative humidity, percent (0-100), same index.

    Returns
    -------
    pandas.Series
        Wet-bulb temperature, degC, never above the dry bulb.

    Notes
    -----
    Fitted at sea-level pressure for RH 5-99 % and T -20 to 50 degC, where the error is
    within about -1 to +0.65 K; outside that range it is an extrapolation.

    References
    ----------
    R. Stull (2011), "Wet-Bulb Temperature from Relative Humidity and Air Temperature",
    J. Appl. Meteor. Climatol. 50, 2267-2269, doi:10.1175/JAMC-D-11-0143.1.
    """
    t = temp_air_c.to_numpy(dtype=float)
    rh = relative_humidity_pct.to_numpy(dtype=float)
    tw = (
        t * np.arctan(0.151977 * np.sqrt(rh + 8.313659))
        + np.arctan(t + rh)
        - np.arctan(rh - 1.676331)
        + 0.00391838 * rh**1.5 * np.arctan(0.023101 * rh)
        - 4.686035
    )
    # The fit can overshoot the dry bulb by a few tenths near saturation.
    return pd.Series(np.minimum(tw, t), index=temp_air_c.index, name="wet_bulb_c")


def compressor_cop(
    sink_temp_c: np.ndarray | pd.Series, design: CoolingDesign
) -> np.ndarray | pd.Series:
    """Compressor COP at a heat-sink temperature (reversed Carnot times efficiency).

    Parameters
    ----------
    sink_temp_c : array or Series
        Dry-bulb (air-cooled) or wet-bulb (cooling tower) temperature, degC.
    design : CoolingDesign
        Supplies supply set point, approaches, second-law efficiency and COP cap.

    Returns
    -------
    array or Series
        COP, kW of heat per kW of electricity, in (0, cop_max].
    """
    t_evap = design.supply_c - design.evaporator_approach_k + _KELVIN
    t_cond = np.asarray(sink_temp_c, dtype=float) + design.condenser_approach_k + _KELVIN
    lift = t_cond - t_evap
    with np.errstate(divide="ignore"):
        carnot = np.where(lift > 0, t_evap / np.where(lift > 0, lift, 1.0), np.inf)
    cop = np.minimum(design.cop_max, design.second_law_efficiency * carnot)
    if isinstance(sink_temp_c, pd.Series):
        return pd.Series(cop, index=sink_temp_c.index, name="cop")
    return cop


def mechanical_cooling_fraction(
    sink_temp_c: np.ndarray | pd.Series, design: CoolingDesign
) -> np.ndarray | pd.Series:
    """Share of the heat removed by the compressor (0 = full free cooling).

    Parameters
    ----------
    sink_temp_c : array or Series
        Dry-bulb or wet-bulb temperature, degC, per ``design.heat_sink``.
    design : CoolingDesign
        Supplies the economizer set points (module docstring gives the relation).

    Returns
    -------
    array or Series
        Fraction in [0, 1]; all ones for a design without economizer.
    """
    t = np.asarray(sink_temp_c, dtype=float)
    if design.economizer:
        frac = np.clip(
            (t + design.economizer_approach_k - design.supply_c)
            / (design.return_c - design.supply_c),
            0.0,
            1.0,
        )
    else:
        frac = np.ones_like(t)
    if isinstance(sink_temp_c, pd.Series):
        return pd.Series(frac, index=sink_temp_c.index, name="mechanical_fraction")
    return frac


def _resolve_design(design: str, params: dict) -> CoolingDesign:
    if design not in COOLING_DESIGNS:
        raise ScenarioError(
            f"unknown cooling design {design!r}; expected one of {sorted(COOLING_DESIGNS)}",
            field="facility.cooling_design",
        )
    valid = {f.name for f in fields(CoolingDesign)}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ScenarioError(
            f"unknown cooling parameter(s) {unknown}; expected some of {sorted(valid)}",
            field="facility.cooling",
        )
    spec = replace(COOLING_DESIGNS[design], **params)
    if spec.heat_sink not in ("dry_bulb", "wet_bulb"):
        raise ScenarioError(
            f"heat_sink must be 'dry_bulb' or 'wet_bulb', got {spec.heat_sink!r}",
            field="facility.cooling.heat_sink",
        )
    if spec.economizer and spec.return_c <= spec.supply_c:
        raise ScenarioError(
            f"return_c must exceed supply_c, got {spec.return_c} <= {spec.supply_c}",
            field="facility.cooling.return_c",
        )
    for name in ("distribution_loss_fraction", "fixed_overhead_fraction", "fan_fraction",
                 "pump_fraction"):
        if getattr(spec, name) < 0:
            raise ScenarioError(f"must be >= 0, got {getattr(spec, name)}",
                                field=f"facility.cooling.{name}")
    if not 0 < spec.second_law_efficiency <= 1 or spec.cop_max <= 0:
        raise ScenarioError(
            "second_law_efficiency must be in (0, 1] and cop_max > 0, got "
            f"{spec.second_law_efficiency} and {spec.cop_max}",
            field="facility.cooling",
        )
    return spec


def pue_from_weather(
    temp_air_c: pd.Series,
    relative_humidity_pct: pd.Series | None = None,
    design: str = "air_economizer",
    it_load_fraction: float | pd.Series = 1.0,
    **params: float,
) -> pd.Series:
    """PUE per time step from ambient conditions for one cooling design.

    Parameters
    ----------
    temp_air_c : pandas.Series
        Dry-bulb air temperature, degC, indexed by a tz-aware UTC DatetimeIndex.
    relative_humidity_pct : pandas.Series, optional
        Relative humidity, percent, same index. Required by designs whose heat sink is
        the wet bulb (``"water_economizer"``); ignored by dry-bulb designs.
    design : {"air_economizer", "water_economizer", "chiller"}
        Cooling design; defaults and sources are in :data:`COOLING_DESIGNS` and the
        module docstring.
    it_load_fraction : float or pandas.Series
        IT load as a fraction of design IT power, in (0, 1]; only the fixed overhead
        depends on it (per IT kW it grows as load falls).
    **params
        Overrides of :class:`CoolingDesign` fields, e.g. ``supply_c=27``.

    Returns
    -------
    pandas.Series
        PUE, dimensionless, >= 1, named ``"pue"``.

    Raises
    ------
    DataError
        Bad index, missing values, implausible temperatures or humidity, or humidity
        absent for a wet-bulb design.
    ScenarioError
        Unknown design or parameter, or parameter out of range.
    """
    spec = _resolve_design(design, params)
    _check_series(temp_air_c, "temp_air_c")
    t_min, t_max = float(temp_air_c.min()), float(temp_air_c.max())
    if t_min < -70 or t_max > 60:
        raise DataError(
            f"expected air temperature in degC within [-70, 60], found [{t_min}, {t_max}]"
            " (Kelvin or Fahrenheit?)",
            field="temp_air_c",
        )
    if spec.heat_sink == "wet_bulb":
        if relative_humidity_pct is None:
            raise DataError(
                f"cooling design {design!r} rejects heat to the wet bulb and needs "
                "relative_humidity_pct (percent); none was given",
                field="relative_humidity_pct",
            )
        _check_series(relative_humidity_pct, "relative_humidity_pct")
        if not relative_humidity_pct.index.equals(temp_air_c.index):
            raise DataError("expected the same time index as temp_air_c",
                            field="relative_humidity_pct")
        rh_min, rh_max = float(relative_humidity_pct.min()), float(relative_humidity_pct.max())
        if rh_min < 0 or rh_max > 100:
            raise DataError(f"expected percent within [0, 100], found [{rh_min}, {rh_max}]",
                            field="relative_humidity_pct")
        sink = wet_bulb_stull(temp_air_c, relative_humidity_pct).to_numpy()
    else:
        sink = temp_air_c.to_numpy(dtype=float)

    if isinstance(it_load_fraction, pd.Series):
        _check_series(it_load_fraction, "it_load_fraction")
        if not it_load_fraction.index.equals(temp_air_c.index):
            raise DataError("expected the same time index as temp_air_c",
                            field="it_load_fraction")
        load = it_load_fraction.to_numpy(dtype=float)
    else:
        load = np.full(len(temp_air_c), float(it_load_fraction))
    if (load <= 0).any() or (load > 1).any():
        raise DataError(
            f"expected IT load fraction in (0, 1], found [{load.min()}, {load.max()}]",
            field="it_load_fraction",
        )

    heat = 1.0 + spec.fan_fraction + spec.pump_fraction
    mech = mechanical_cooling_fraction(sink, spec)
    cop = compressor_cop(sink, spec)
    pue = (
        1.0
        + spec.distribution_loss_fraction
        + spec.fixed_overhead_fraction / load
        + spec.fan_fraction
        + spec.pump_fraction
        + mech * heat / cop
    )
    return pd.Series(pue, index=temp_air_c.index, name="pue")


def _aligned(it_energy_mwh: pd.Series, pue: pd.Series) -> None:
    _check_series(it_energy_mwh, "it_energy_mwh")
    _check_series(pue, "pue")
    if not it_energy_mwh.index.equals(pue.index):
        raise DataError("expected the same time index as it_energy_mwh", field="pue")
    if (it_energy_mwh < 0).any():
        raise DataError(f"expected IT energy >= 0, found min {it_energy_mwh.min()}",
                        field="it_energy_mwh")
    if (pue < 1).any():
        raise DataError(f"expected PUE >= 1, found min {pue.min()}", field="pue")


def annual_pue(it_energy_mwh: pd.Series, pue: pd.Series) -> float:
    """Energy-weighted PUE over the whole series: sum(IT x PUE) / sum(IT).

    Parameters
    ----------
    it_energy_mwh : pandas.Series
        IT energy per step, MWh (power x step hours), tz-aware UTC index.
    pue : pandas.Series
        PUE per step, same index.

    Returns
    -------
    float
        Facility energy over IT energy (the Green Grid definition of annual PUE when the
        series spans a year).
    """
    _aligned(it_energy_mwh, pue)
    total = float(it_energy_mwh.sum())
    if total <= 0:
        raise DataError("expected positive total IT energy, found 0", field="it_energy_mwh")
    return float((it_energy_mwh * pue).sum()) / total


def monthly_pue(it_energy_mwh: pd.Series, pue: pd.Series, tz: str = "UTC") -> pd.Series:
    """Energy-weighted PUE per calendar month.

    Parameters
    ----------
    it_energy_mwh, pue : pandas.Series
        As for :func:`annual_pue`.
    tz : str
        Time zone whose calendar months are used (UTC unless a site zone is given).

    Returns
    -------
    pandas.Series
        PUE per month, indexed by the month's first instant in ``tz`` (name ``"month"``).
        Months with zero IT energy are NaN.
    """
    _aligned(it_energy_mwh, pue)
    local = it_energy_mwh.index.tz_convert(tz)
    month = local.tz_localize(None).to_period("M")
    facility = (it_energy_mwh * pue).groupby(month).sum()
    it = it_energy_mwh.groupby(month).sum()
    out = facility / it.where(it > 0)
    starts = out.index.to_timestamp().tz_localize(tz)
    return pd.Series(out.to_numpy(), index=pd.DatetimeIndex(starts, name="month"),
                     name="pue")
