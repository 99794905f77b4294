"""Site water use of cooling: evaporation, blowdown and humidification.

Evaporation of heat rejected on a wet surface (cooling-tower fill, the wet channel of an
indirect evaporative cooler)
    Outdoor air enters at its state (dry bulb ``T``, humidity ratio ``W_in``; enthalpy
    ``h_in``), takes up the rejected heat and leaves saturated (the usual assumption for tower
    exhaust). Per kg of dry air its enthalpy rises by ``dh`` (design parameter
    ``air_enthalpy_rise_kj_per_kg``: ``c_p,water x range x L/G`` for a tower), so it leaves
    at ``h_out = h_in + dh`` on the saturation curve, at humidity ratio ``W_s(h_out)``. Water
    evaporated per kWh of heat::

        E = 3600 (W_s(h_out) - W_in) / dh     kg/kWh  (dh in kJ/kg)

    In cold weather much of the heat leaves as sensible heat (E about 0.9 kg/kWh at a 2 degC
    wet bulb); in hot dry weather the air is also cooled and E can exceed the 1.47 kg/kWh of
    pure latent heat (2,450 kJ/kg). All moist-air properties come from psychrolib
    (:mod:`dcflex.physics.psychrometrics`).

Blowdown
    Dissolved solids concentrate as water evaporates; the tower bleeds water to hold them at
    ``cycles`` times the make-up concentration, so make-up = evaporation x cycles /
    (cycles - 1) (drift, below 0.001 % of circulating flow with modern eliminators, is
    neglected). ``cycles`` is a site's water-treatment choice: 3-6 is a common range; the
    default 4 of :class:`dcflex.scenario.facility.Water` is an assumption.

Humidification
    Outside air drier than the envelope's minimum dew point is humidified adiabatically to it:
    water = outside-air flow x (W_min - W_out).

1 kg of water is taken as 1 L. Site WUE (The Green Grid, WP#35, 2011) = site water / IT
energy, L/kWh; source WUE adds the water consumed to generate the grid electricity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcflex.errors import ScenarioError
from dcflex.physics.cooling_designs import CoolingDesign
from dcflex.physics.psychrometrics import moist_air_enthalpy, saturated_state_from_enthalpy

__all__ = ["evaporation_kg_per_kwh", "makeup_factor", "site_water_l_per_kwh_it"]

_S_PER_H = 3600.0


def evaporation_kg_per_kwh(temp_air_c, humidity_ratio_kg_per_kg, pressure_pa: float,
                           air_enthalpy_rise_kj_per_kg: float) -> np.ndarray:
    """Water evaporated per kWh of heat rejected on a wet surface, kg/kWh (module docstring).

    Parameters
    ----------
    temp_air_c : array
        Entering air dry bulb, degC.
    humidity_ratio_kg_per_kg : array
        Entering air humidity ratio, kg/kg dry air.
    pressure_pa : float
        Atmospheric pressure, Pa.
    air_enthalpy_rise_kj_per_kg : float
        Enthalpy rise of the air, kJ per kg dry air.
    """
    w_in = np.asarray(humidity_ratio_kg_per_kg, dtype=float)
    h_in = moist_air_enthalpy(temp_air_c, w_in)
    _, w_out = saturated_state_from_enthalpy(h_in + 1000.0 * air_enthalpy_rise_kj_per_kg,
                                             pressure_pa)
    return _S_PER_H * np.maximum(w_out - w_in, 0.0) / air_enthalpy_rise_kj_per_kg


def makeup_factor(cycles: float) -> float:
    """Make-up water per unit evaporated, ``cycles / (cycles - 1)`` (evaporation + blowdown).

    Raises
    ------
    ScenarioError
        If ``cycles`` is not above 1.
    """
    if not cycles > 1:
        raise ScenarioError(f"expected cycles of concentration > 1, got {cycles}",
                            field="facility.water.cycles_of_concentration")
    return cycles / (cycles - 1.0)


def site_water_l_per_kwh_it(state: pd.DataFrame, temp_air_c, design: CoolingDesign,
                            pressure_pa: float, cycles: float) -> np.ndarray:
    """Site water (make-up of evaporative heat rejection plus humidification) per kWh of IT.

    Parameters
    ----------
    state : pandas.DataFrame
        :func:`dcflex.physics.cooling.cooling_state` of the same steps.
    temp_air_c : array
        Outdoor dry bulb, degC.
    design : CoolingDesign
    pressure_pa : float
    cycles : float
        Cycles of concentration of the evaporative water loop.

    Returns
    -------
    numpy.ndarray
        L per kWh of IT energy, per step.
    """
    evap_heat = state["evaporative_heat_kw_per_kw_it"].to_numpy()
    water = np.zeros(len(state))
    wet = evap_heat > 0
    if wet.any():
        e = evaporation_kg_per_kwh(np.asarray(temp_air_c, dtype=float)[wet],
                                   state["humidity_ratio"].to_numpy()[wet], pressure_pa,
                                   design.air_enthalpy_rise_kj_per_kg)
        water[wet] = evap_heat[wet] * e * makeup_factor(cycles)
    humid = (state["outdoor_air_kg_per_s_per_kw_it"].to_numpy()
             * state["humidification_kg_per_kg"].to_numpy() * _S_PER_H)
    return water + humid
