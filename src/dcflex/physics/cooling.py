"""Per-step cooling physics: economizer state, compressor COP and IT-proportional PUE.

Facility power splits into a constant and a part proportional to IT power ``P_IT``::

    P_facility = pue_it(t) * P_IT + fixed_overhead_fraction * P_IT,design

``pue_it`` is returned per step by :func:`cooling_state` (column ``pue_it``)::

    pue_it = 1 + distribution_loss
             + (1 - s) [fan + pump + m (1 + fan + pump) / COP + r q_tower]      (air path)
             + s [lp + dcf + m_l (1 + lp) / COP_l]                                (liquid path)

with ``s`` the liquid share, ``m`` the mechanical (compressor) share of the air-path heat,
``q_tower`` the heat a cooling tower rejects per kW of air-path IT heat (heat plus compressor
work: ``(1 + fan + pump)(1 + m / COP)``), ``r`` the tower-fan and condenser-pump fraction,
``lp, dcf`` the liquid-loop pump and dry-cooler fan fractions and ``m_l, COP_l`` the trim
chiller of the liquid loop. Fan and pump work ends up as heat in the loop it serves.

Mechanical share per economizer (all clipped to [0, 1])
    ``air``: ``(T_db + dT_e - T_s) / (T_r - T_s)`` when the outside air is inside the
    humidity envelope, else 1. The envelope's dew-point limits are applied as limits on the
    humidity ratio (the dew point is a monotonic function of it: the same test, exactly), the
    relative-humidity limit on the outside air brought to the supply temperature.
    ``water``: ``(T_wb + dT_e - T_s) / (T_r - T_s)`` (integrated water-side economizer).
    ``indirect_evaporative``: ``1 - max(e_d (T_r - T_db), e_w (T_r - T_wb)) / (T_r - T_s)``;
    the spray is staged: it carries only the heat the dry heat exchanger cannot, and only
    that heat leaves by evaporation.
    ``none``: 1.
    Liquid loop: ``(T_db + dT_dc - T_ls) / (T_lr - T_ls)``.

Compressor COP (reversed Carnot with a second-law efficiency, ASHRAE 90.1 calibration in
:mod:`dcflex.physics.cooling_designs`)::

    COP = min(cop_max, eta * T_evap / (T_cond - T_evap)),  T_evap = T_s - dT_evap,
    T_cond = T_sink + dT_cond   (kelvin; T_sink = dry bulb or wet bulb per ``heat_sink``)

The liquid loop's trim chiller is air-cooled: evaporating 4 K below ``liquid_supply_c`` and
condensing 15 K above the dry bulb, with the air-cooled efficiency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.physics.cooling_designs import _ETA_AIR_COOLED, CoolingDesign
from dcflex.physics.psychrometrics import (
    humidity_ratio,
    relative_humidity_at,
    saturation_humidity_ratio,
    wet_bulb_c,
)

__all__ = ["compressor_cop", "cooling_state", "mechanical_cooling_fraction"]

_KELVIN = 273.15
# Specific heat of moist air at data-hall humidity, kJ/(kg K) (1.006 + 1.86 W, W ~ 0.01).
_CP_AIR_KJ_PER_KG_K = 1.025
_LIQUID_TRIM_EVAP_APPROACH_K = 4.0
_LIQUID_TRIM_COND_APPROACH_K = 15.0
_LIQUID_TRIM_COP_MAX = 7.0


def _carnot_cop(t_evap_c: float, t_cond_c: np.ndarray, eta: float, cop_max: float
                ) -> np.ndarray:
    t_evap = t_evap_c + _KELVIN
    lift = np.asarray(t_cond_c, dtype=float) + _KELVIN - t_evap
    with np.errstate(divide="ignore"):
        carnot = np.where(lift > 0, t_evap / np.where(lift > 0, lift, 1.0), np.inf)
    return np.minimum(cop_max, eta * carnot)


def compressor_cop(sink_temp_c, design: CoolingDesign) -> np.ndarray:
    """Compressor COP at a heat-sink temperature (dry bulb or wet bulb), in (0, cop_max]."""
    return _carnot_cop(design.supply_c - design.evaporator_approach_k,
                       np.asarray(sink_temp_c, dtype=float) + design.condenser_approach_k,
                       design.second_law_efficiency, design.cop_max)


def _ramp(t, start_c: float, end_c: float) -> np.ndarray:
    return np.clip((np.asarray(t, dtype=float) - start_c) / (end_c - start_c), 0.0, 1.0)


def mechanical_cooling_fraction(temp_air_c, design: CoolingDesign, wet_bulb=None,
                                in_envelope=None) -> np.ndarray:
    """Share of the air-path heat removed by the compressor (0 = full free cooling).

    Parameters
    ----------
    temp_air_c : array
        Outdoor dry bulb, degC.
    design : CoolingDesign
    wet_bulb : array, optional
        Outdoor wet bulb, degC (``water`` and ``indirect_evaporative`` economizers).
    in_envelope : array of bool, optional
        Whether outside air meets the humidity envelope (``air``; all True if omitted).
    """
    t = np.asarray(temp_air_c, dtype=float)
    span = design.return_c - design.supply_c
    eco = design.economizer
    if eco == "none":
        return np.ones_like(t)
    if eco == "air":
        ok = np.ones(t.shape, bool) if in_envelope is None else np.asarray(in_envelope)
        m = _ramp(t + design.economizer_approach_k, design.supply_c, design.return_c)
        return np.where(ok, m, 1.0)
    tw = np.asarray(wet_bulb, dtype=float)
    if eco == "water":
        return _ramp(tw + design.economizer_approach_k, design.supply_c, design.return_c)
    dry = design.dry_effectiveness * np.maximum(design.return_c - t, 0.0) / span
    wet = design.wet_bulb_effectiveness * np.maximum(design.return_c - tw, 0.0) / span
    return 1.0 - np.clip(np.maximum(dry, wet), 0.0, 1.0)


def _envelope(t, w, design: CoolingDesign, pressure_pa: float):
    """(inside the envelope, humidification need in kg water per kg dry air)."""
    w_lo = float(saturation_humidity_ratio(design.dew_point_min_c, pressure_pa))
    w_hi = float(saturation_humidity_ratio(design.dew_point_max_c, pressure_pa))
    rh_supply = relative_humidity_at(np.full(t.shape, design.supply_c), w, pressure_pa)
    ok = (w <= w_hi) & (rh_supply * 100.0 <= design.relative_humidity_max_pct)
    if design.humidify:
        need = np.maximum(w_lo - w, 0.0)
    else:
        ok &= w >= w_lo
        need = np.zeros(t.shape)
    return ok, need


def cooling_state(temp_air_c: np.ndarray, relative_humidity_pct: np.ndarray | None,
                  design: CoolingDesign, pressure_pa: float) -> pd.DataFrame:
    """Cooling state per step for one design (module docstring gives the relations).

    Parameters
    ----------
    temp_air_c, relative_humidity_pct : array
        Outdoor dry bulb (degC) and relative humidity (%); humidity may be None only for
        designs that need neither a wet bulb nor a humidity envelope.
    design : CoolingDesign
    pressure_pa : float
        Atmospheric pressure at the site, Pa.

    Returns
    -------
    pandas.DataFrame
        ``pue_it`` (IT-proportional PUE), ``mechanical_fraction`` (air path), ``economizer``
        (True where free cooling carries part of the air-path heat), ``in_envelope``,
        ``cop``, ``wet_bulb_c`` (NaN without humidity), ``humidity_ratio``,
        ``evaporative_heat_kw_per_kw_it`` (heat leaving by evaporation, per kW IT) and
        ``outdoor_air_kg_per_s_per_kw_it`` with ``humidification_kg_per_kg`` (the water the
        air economizer adds to dry outside air), all on a default integer index.
    """
    t = np.asarray(temp_air_c, dtype=float)
    n = len(t)
    s = design.liquid_share
    nan = np.full(n, np.nan)
    if relative_humidity_pct is None:
        rh = w = tw = nan
    else:
        rh = np.asarray(relative_humidity_pct, dtype=float) / 100.0
        w = humidity_ratio(t, rh, pressure_pa)
        tw = wet_bulb_c(t, rh, pressure_pa)
    in_env = np.ones(n, bool)
    humid_need = np.zeros(n)
    if design.economizer == "air" and relative_humidity_pct is not None:
        in_env, humid_need = _envelope(t, w, design, pressure_pa)
    mech = mechanical_cooling_fraction(t, design, tw, in_env)
    sink = tw if design.heat_sink == "wet_bulb" else t
    cop = compressor_cop(sink, design)
    heat = 1.0 + design.fan_fraction + design.pump_fraction
    air = (1.0 - s) * (design.fan_fraction + design.pump_fraction + mech * heat / cop)
    evaporative = np.zeros(n)
    if design.heat_sink == "wet_bulb":
        tower = (1.0 - s) * heat * (1.0 + mech / cop)
        air = air + design.heat_rejection_fraction * tower
        evaporative = tower
    elif design.economizer == "indirect_evaporative":
        span = design.return_c - design.supply_c
        dry = np.clip(design.dry_effectiveness * np.maximum(design.return_c - t, 0.0) / span,
                      0.0, 1.0)
        # staged spray: water carries only what the dry heat exchanger cannot
        evaporative = (1.0 - s) * heat * np.maximum(1.0 - mech - dry, 0.0)
    liquid = np.zeros(n)
    if s > 0:
        m_l = _ramp(t + design.dry_cooler_approach_k, design.liquid_supply_c,
                    design.liquid_return_c)
        cop_l = _carnot_cop(design.liquid_supply_c - _LIQUID_TRIM_EVAP_APPROACH_K,
                            t + _LIQUID_TRIM_COND_APPROACH_K, _ETA_AIR_COOLED,
                            _LIQUID_TRIM_COP_MAX)
        lp = design.liquid_pump_fraction
        liquid = s * (lp + design.dry_cooler_fan_fraction + m_l * (1.0 + lp) / cop_l)
    # outside air per kW of air-path heat: all of it between supply and return, less when
    # colder air is mixed with return air down to the supply temperature
    oa = np.zeros(n)
    if design.economizer == "air":
        delta = design.return_c - np.maximum(t, design.supply_c)
        oa = np.where((mech < 1.0) & (delta > 0),
                      (1.0 - s) * heat / (_CP_AIR_KJ_PER_KG_K * np.maximum(delta, 1e-9)), 0.0)
    return pd.DataFrame({
        "pue_it": 1.0 + design.distribution_loss_fraction + air + liquid,
        "mechanical_fraction": mech,
        "economizer": mech < 1.0 - 1e-12,
        "in_envelope": in_env,
        "cop": cop,
        "wet_bulb_c": tw,
        "humidity_ratio": w,
        "evaporative_heat_kw_per_kw_it": evaporative,
        "outdoor_air_kg_per_s_per_kw_it": oa,
        "humidification_kg_per_kg": humid_need,
    })
