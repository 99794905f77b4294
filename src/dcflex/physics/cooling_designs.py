"""Cooling designs: their parameters, their defaults and the published bands they must meet.

A design is a set of numbers (:class:`CoolingDesign`); :mod:`dcflex.physics.cooling` turns it
and the weather into PUE and heat rejected per step, :mod:`dcflex.physics.water` into water.

Designs (``COOLING_DESIGNS``)
    ``air_economizer``
        Direct outside air through air handlers, DX trim with an air-cooled condenser. Outside
        air is admitted only inside the ASHRAE TC 9.9 (2021) A1 *recommended* envelope at the
        IT inlet: dry bulb 18-27 degC (supply 24 degC), dew point -9 to 15 degC and relative
        humidity at most 60 % (ASHRAE TC 9.9, *Thermal Guidelines for Data Processing
        Environments*, 5th ed., 2021). Air too dry is humidified (adiabatic humidifier: water,
        negligible energy); air too humid is not admitted (the hall recirculates on DX).
    ``indirect_evaporative``
        Room air recirculates through an air-to-air heat exchanger whose outer side is outdoor
        air, sprayed when needed (indirect evaporative cooling, IEC), with DX trim. The room
        never sees outdoor humidity, so there is no humidity limit; the wet side approaches the
        outdoor wet bulb.
    ``water_economizer``
        Warm chilled water 18/26 degC, cooling towers (wet bulb), a plate heat exchanger for
        free cooling and a water-cooled centrifugal chiller; CRAH fans in the hall.
    ``direct_liquid``
        Direct-to-chip liquid cooling: ``liquid_share`` of the IT heat goes through cold plates
        and coolant distribution units to a warm facility-water loop (ASHRAE W32 liquid class:
        supply at most 32 degC) rejected by dry coolers, with an air-cooled trim chiller for
        hot hours; the rest of the heat goes to air through the ``air_economizer`` system.
    ``chiller``
        Legacy enterprise/colocation: air-cooled chiller at 10 degC chilled water, no
        economizer, constant-speed CRAC fans, double-conversion UPS.

Compressor efficiency (see :func:`dcflex.physics.cooling.compressor_cop`) is calibrated to the
ASHRAE Standard 90.1-2019 (Table 6.8.1-3, path A) minimum full-load efficiencies at the
AHRI 550/590 rating point: air-cooled chiller 10.1 EER = COP 2.96 at 35 degC entering air and
6.7 degC leaving water -> second-law efficiency 0.508 (evaporator approach 4 K, condenser
15 K: Carnot COP 275.85 / 47.3 = 5.83); water-cooled centrifugal >= 300 ton 0.560 kW/ton =
COP 6.28 at 29.4 degC entering condenser water -> 0.717 (approaches 2 K and 7 K: Carnot
277.85 / 31.7 = 8.76). ``cop_max`` (7 air-cooled, 10 water-cooled) stands for the minimum-lift
limit of real compressors: engineering judgement.

Electrical and air/water-moving fractions (kW per kW) are **assumptions** of this module, not
survey values: UPS, transformer and PDU load losses (``distribution_loss_fraction``: 4 % of
IT in a modern hall, 8 % legacy; ENERGY STAR UPS criteria put modern UPS at 95-99 %
efficiency at typical load); UPS no-load and transformer core losses, lighting and controls
(``fixed_overhead_fraction`` of *design* IT power: 1.5 % modern, 2 % legacy); fans, pumps
and heat-rejection fans per kW of heat they move. They were chosen once, with engineering
judgement, and then checked against the published bands below; they were not fitted to any
site's series.

Published annual PUE and WUE bands (``PUE_BANDS``, ``WUE_BANDS``), each from a named source
    * Uptime Institute Global Data Center Survey 2023: industry-average annual PUE 1.58,
      dominated by older chiller-based enterprise and colocation sites -> ``chiller``
      1.40-1.65 (the LBNL 2024 report's U.S. average fell from about 1.6 in 2014 to just above
      1.4 in 2023, as plotted from Shehabi et al. 2024, *2024 United States Data Center Energy
      Usage Report*, LBNL-2001637, by secondary sources; the report's own tables were not
      available to check).
    * Google 2024 Environmental Report: fleet trailing-twelve-month PUE 1.10 in 2023
      (evaporative cooling towers with water-side economizers); Meta: buildings completed in
      2021 at PUE 1.09 and WUE 0.26 L/kWh (sustainability.fb.com/data-centers), fleet PUE
      1.08 in 2023 (Meta 2024 sustainability report, as reported); Microsoft: fleet WUE
      0.30 L/kWh in FY2024, 0.49 in 2021 and about 2.3 L/kWh for its early-2000s (cooling-tower)
      generation; its 2024 zero-water design (closed-loop chip-level cooling with chillers)
      evaporates no water for cooling at a slightly higher PUE (Microsoft, "Sustainable by
      design: next-generation datacenters consume zero water for cooling", 9 Dec 2024).
      -> economizer designs 1.07-1.22 (``air_economizer`` up to 1.25 in humid climates, where
      the envelope closes the economizer).
    * WUE (site water per IT energy, The Green Grid WP#35, 2011): dry heat rejection
      (``chiller``, ``direct_liquid``) 0 L/kWh (Microsoft zero-water design); direct outside
      air with humidification 0-0.3 L/kWh (Meta 0.26 including evaporative cooling);
      ``indirect_evaporative`` 0.05-0.7 L/kWh (Meta 0.26, Microsoft fleet 0.30-0.49; the
      upper end is our judgement, not a published figure: Dallas's humid summer keeps the
      spray on and the model gives 0.60 there);
      cooling towers 1.0-2.3 L/kWh (Microsoft's first generation 2.3 L/kWh; about 1 L/kWh is
      implied for Google's largely tower-cooled fleet by 6.1 billion gallons consumed in 2023
      over its data-center electricity -- our arithmetic, not a published WUE).
    The bands are stated for the 2023 weather of San Jose, Dallas and Philadelphia and the
    Greensboro TMY3 year and checked in ``tests/test_cooling.py``. The direct-liquid PUE band
    (1.05-1.20) is an assumption: no published annual figure was found to cite.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from types import MappingProxyType

from dcflex.errors import ScenarioError

__all__ = ["COOLING_DESIGNS", "PUE_BANDS", "WUE_BANDS", "CoolingDesign", "resolve_design"]

ECONOMIZERS = ("none", "air", "water", "indirect_evaporative")


@dataclass(frozen=True)
class CoolingDesign:
    """Parameters of one cooling design (fractions are kW per kW; temperatures degC).

    Attributes
    ----------
    economizer : {"none", "air", "water", "indirect_evaporative"}
        Free-cooling path (module docstring).
    heat_sink : {"dry_bulb", "wet_bulb"}
        What the compressor's condenser rejects to: outdoor air or a cooling tower.
    supply_c, return_c : float
        Supply and return temperature of the stream the economizer cools (supply air, or
        chilled water for ``water``), degC.
    economizer_approach_k : float
        Outdoor-to-supply approach of full free cooling, K (fan heat and mixing for air; heat
        exchanger plus tower approach for water).
    evaporator_approach_k, condenser_approach_k : float
        Supply minus evaporating temperature, condensing temperature minus heat sink, K.
    second_law_efficiency, cop_max : float
        Real over reversed-Carnot COP, and the COP cap at low lift.
    distribution_loss_fraction : float
        UPS, transformer and PDU load losses, per kW of IT (proportional).
    fixed_overhead_fraction : float
        UPS no-load and transformer core losses, lighting and controls, per kW of *design*
        IT power; a constant that does not follow IT load.
    fan_fraction, pump_fraction : float
        Air movers and chilled-water (or spray) pumps per kW of heat in the air path.
    heat_rejection_fraction : float
        Cooling-tower fans and condenser-water pumps per kW of heat the tower rejects.
    dew_point_min_c, dew_point_max_c, relative_humidity_max_pct : float
        Humidity envelope of outside air at the IT inlet (``air`` economizer only).
    humidify : bool
        Whether outside air drier than ``dew_point_min_c`` is humidified (``air`` only; if
        not, the economizer closes).
    wet_bulb_effectiveness, dry_effectiveness : float
        Heat-exchanger effectiveness of indirect evaporative cooling, wet and dry.
    liquid_share : float
        Share of the IT heat removed by direct-to-chip liquid cooling (0 = all air).
    liquid_supply_c, liquid_return_c : float
        Facility-water supply and return temperature of the liquid loop, degC.
    dry_cooler_approach_k : float
        Dry-cooler leaving water minus outdoor dry bulb, K.
    liquid_pump_fraction, dry_cooler_fan_fraction : float
        CDU and facility-water pumps, and dry-cooler fans, per kW of liquid-loop heat.
    air_enthalpy_rise_kj_per_kg : float
        Enthalpy rise of the air through the wet surface (cooling tower fill or IEC wet
        channel), kJ per kg dry air: ``c_p,water x range x L/G`` for a tower (assumed
        4.186 x 5.6 K x 1.2 = 28 kJ/kg for a 10 degF range), about 15 kJ/kg for IEC
        scavenger air. Sets how much of the heat leaves as latent heat
        (:func:`dcflex.physics.water.evaporation_kg_per_kwh`).
    """

    economizer: str
    heat_sink: str
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
    heat_rejection_fraction: float = 0.0
    dew_point_min_c: float = -9.0
    dew_point_max_c: float = 15.0
    relative_humidity_max_pct: float = 60.0
    humidify: bool = True
    wet_bulb_effectiveness: float = 0.0
    dry_effectiveness: float = 0.0
    liquid_share: float = 0.0
    liquid_supply_c: float = 32.0
    liquid_return_c: float = 42.0
    dry_cooler_approach_k: float = 6.0
    liquid_pump_fraction: float = 0.0
    dry_cooler_fan_fraction: float = 0.0
    air_enthalpy_rise_kj_per_kg: float = 28.0

    @property
    def rejects_to_water(self) -> bool:
        """Whether any heat leaves by evaporation (cooling tower or wet IEC)."""
        return self.heat_sink == "wet_bulb" or self.economizer == "indirect_evaporative"

    @property
    def needs_humidity(self) -> bool:
        """Whether the design needs relative humidity (wet bulb or a humidity envelope)."""
        return self.rejects_to_water or self.economizer in ("air", "water")


# ASHRAE 90.1-2019 calibrations (module docstring).
_ETA_AIR_COOLED = 0.508
_ETA_WATER_COOLED = 0.717

_AIR = CoolingDesign(
    economizer="air", heat_sink="dry_bulb", supply_c=24.0, return_c=36.0,
    economizer_approach_k=2.0, evaporator_approach_k=10.0, condenser_approach_k=15.0,
    second_law_efficiency=_ETA_AIR_COOLED, cop_max=7.0,
    distribution_loss_fraction=0.04, fixed_overhead_fraction=0.015,
    # air handlers with outdoor-air filters and relief fans move all the hall's air
    fan_fraction=0.04, pump_fraction=0.0,
)

COOLING_DESIGNS = MappingProxyType({
    "air_economizer": _AIR,
    # the air economizer's hall and DX trim behind a heat exchanger instead of dampers
    "indirect_evaporative": replace(
        _AIR, economizer="indirect_evaporative", economizer_approach_k=0.0,
        # primary and scavenger fans through the heat exchanger; spray pumps
        fan_fraction=0.045, pump_fraction=0.005,
        wet_bulb_effectiveness=0.7, dry_effectiveness=0.6, air_enthalpy_rise_kj_per_kg=15.0,
    ),
    "water_economizer": CoolingDesign(
        economizer="water", heat_sink="wet_bulb", supply_c=18.0, return_c=26.0,
        # plate heat exchanger 2 K + tower approach 4 K; chiller condensing 11 K above wet bulb
        economizer_approach_k=6.0, evaporator_approach_k=2.0, condenser_approach_k=11.0,
        second_law_efficiency=_ETA_WATER_COOLED, cop_max=10.0,
        distribution_loss_fraction=0.04, fixed_overhead_fraction=0.015,
        # in-hall CRAH fans (short air path) and variable-speed chilled-water pumps
        fan_fraction=0.025, pump_fraction=0.015, heat_rejection_fraction=0.015,
    ),
    "direct_liquid": replace(
        _AIR, liquid_share=0.8, liquid_pump_fraction=0.015, dry_cooler_fan_fraction=0.015,
    ),
    "chiller": CoolingDesign(
        economizer="none", heat_sink="dry_bulb", supply_c=10.0, return_c=16.0,
        economizer_approach_k=0.0, evaporator_approach_k=4.0, condenser_approach_k=15.0,
        second_law_efficiency=_ETA_AIR_COOLED, cop_max=7.0,
        distribution_loss_fraction=0.08, fixed_overhead_fraction=0.02,
        fan_fraction=0.10, pump_fraction=0.03,
    ),
})

#: Published annual PUE band per design (module docstring names the sources).
PUE_BANDS: dict[str, tuple[float, float]] = {
    "air_economizer": (1.07, 1.25),
    "indirect_evaporative": (1.07, 1.22),
    "water_economizer": (1.07, 1.22),
    "direct_liquid": (1.05, 1.20),
    "chiller": (1.40, 1.65),
}

#: Published annual site WUE band per design, L per kWh of IT energy (module docstring).
WUE_BANDS: dict[str, tuple[float, float]] = {
    "air_economizer": (0.0, 0.3),
    "indirect_evaporative": (0.05, 0.7),
    "water_economizer": (1.0, 2.3),
    "direct_liquid": (0.0, 0.3),
    "chiller": (0.0, 0.0),
}

_FRACTIONS = ("distribution_loss_fraction", "fixed_overhead_fraction", "fan_fraction",
              "pump_fraction", "heat_rejection_fraction", "liquid_pump_fraction",
              "dry_cooler_fan_fraction")


def _check(spec: CoolingDesign, field: str) -> None:
    def bad(name: str, expected: str) -> ScenarioError:
        return ScenarioError(f"expected {expected}, got {getattr(spec, name)!r}",
                             field=f"{field}.{name}")

    if spec.economizer not in ECONOMIZERS:
        raise bad("economizer", f"one of {list(ECONOMIZERS)}")
    if spec.heat_sink not in ("dry_bulb", "wet_bulb"):
        raise bad("heat_sink", "'dry_bulb' or 'wet_bulb'")
    if spec.economizer != "none" and spec.return_c <= spec.supply_c:
        raise bad("return_c", f"a return temperature above supply_c ({spec.supply_c})")
    for name in _FRACTIONS:
        if getattr(spec, name) < 0:
            raise bad(name, "a fraction >= 0")
    if not 0 < spec.second_law_efficiency <= 1:
        raise bad("second_law_efficiency", "a value in (0, 1]")
    if spec.cop_max <= 0:
        raise bad("cop_max", "a value > 0")
    if not 0 <= spec.liquid_share <= 1:
        raise bad("liquid_share", "a fraction in [0, 1]")
    if spec.liquid_share > 0 and spec.liquid_return_c <= spec.liquid_supply_c:
        raise bad("liquid_return_c", f"a value above liquid_supply_c ({spec.liquid_supply_c})")
    for name in ("wet_bulb_effectiveness", "dry_effectiveness"):
        if not 0 <= getattr(spec, name) <= 1:
            raise bad(name, "an effectiveness in [0, 1]")
    if spec.dew_point_max_c <= spec.dew_point_min_c:
        raise bad("dew_point_max_c", f"a value above dew_point_min_c ({spec.dew_point_min_c})")
    if not 0 < spec.relative_humidity_max_pct <= 100:
        raise bad("relative_humidity_max_pct", "a percentage in (0, 100]")
    if spec.air_enthalpy_rise_kj_per_kg <= 0:
        raise bad("air_enthalpy_rise_kj_per_kg", "a value > 0")


def resolve_design(design: str | CoolingDesign, params: dict | None = None,
                   field: str = "facility.cooling_parameters") -> CoolingDesign:
    """A catalog design (by name) or a given design, with parameter overrides, checked.

    Raises
    ------
    ScenarioError
        Unknown design or parameter, or a value out of range (the field is named).
    """
    params = dict(params or {})
    if isinstance(design, str):
        if design not in COOLING_DESIGNS:
            raise ScenarioError(f"unknown cooling design {design!r}; expected one of "
                                f"{sorted(COOLING_DESIGNS)}", field="facility.cooling")
        design = COOLING_DESIGNS[design]
    valid = {f.name for f in fields(CoolingDesign)}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ScenarioError(f"unknown cooling parameter(s) {unknown}; expected some of "
                            f"{sorted(valid)}", field=field)
    spec = replace(design, **params)
    _check(spec, field)
    return spec
