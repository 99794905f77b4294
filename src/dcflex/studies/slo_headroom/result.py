"""The outcome of an SLO-aware headroom study, and its explanation for reports.

:class:`SloHeadroomResult` holds the firm, rate-limit and SLO-aware sizes with the events at
the answer; :func:`explain` says in one paragraph what the headroom is and what limits it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from dcflex.scenario import Scenario

#: Default relative tolerance of the bisection on size (1 %).
DEFAULT_RTOL: float = 0.01


@dataclass(frozen=True)
class SloHeadroomResult:
    """SLO-aware headroom of one site on one grid.

    Sizes are MW of business-as-usual peak import of the replicated site (``size_factor`` times
    ``unit_peak_import_mw``).

    Attributes
    ----------
    site : str
        Scenario name.
    rate_fraction : float
        Curtailment rate the grid allows (0.005 = 0.5 %).
    unit_peak_import_mw : float
        Business-as-usual peak import of the site as described (size factor 1), MW.
    firm_mw, firm_size_factor : float
        Largest size with no curtailment hour.
    rate_limit_mw, rate_limit_size_factor : float
        Largest size whose curtailment rate is ``rate_fraction``.
    headroom_mw, size_factor : float
        SLO-aware headroom: largest size proven feasible.
    extra_mw : float
        ``headroom_mw - firm_mw``: what the workload's flexibility adds.
    limited_by : {"rate", "slo", "firm"}
        ``"rate"``: the site absorbs every event up to the grid's rate limit; ``"slo"``: an
        event at the next size breaks a requirement; ``"firm"``: not even the smallest
        curtailment can be absorbed (no extra headroom).
    curtailment_rate_fraction : float
        Curtailed share of the site's business-as-usual energy at ``headroom_mw``.
    curtailed_hours_h, curtailed_energy_mwh : float
        Hours with curtailment and energy shed (of the replicated site) at ``headroom_mw``.
    events : pandas.DataFrame
        Curtailment events at ``headroom_mw`` (:func:`dcflex.studies.headroom.curtailment_events`,
        MW and MWh of the replicated site) with local start and end times.
    reason : str
        Why the next size fails (the diagnosis of the smallest infeasible size tried, MW per
        copy of the site), or what limits the answer.
    explanation : str
        One paragraph for reports.
    grid_headroom_mw : float
        Duke constant-load headroom of the BA at ``rate_fraction`` over the same period, MW
        (context: what a flat load with no workload constraints would get). NaN if undefined.
    thresholds : dict
        Thresholds used (MW).
    demand_filled_steps : int
        Site steps whose BA demand was filled by ``gap_policy``.
    n_solves, n_blocks, capped_steps : int
        Optimizations run, blocks optimized, steps that carry a cap at the rate-limit size.
    rtol : float
        Relative tolerance of the bisection.
    """

    site: str
    rate_fraction: float
    unit_peak_import_mw: float
    firm_mw: float
    firm_size_factor: float
    rate_limit_mw: float
    rate_limit_size_factor: float
    headroom_mw: float
    size_factor: float
    extra_mw: float
    limited_by: Literal["rate", "slo", "firm"]
    curtailment_rate_fraction: float
    curtailed_hours_h: float
    curtailed_energy_mwh: float
    events: pd.DataFrame
    reason: str
    explanation: str
    grid_headroom_mw: float
    thresholds: dict[str, Any] = field(default_factory=dict)
    demand_filled_steps: int = 0
    n_solves: int = 0
    n_blocks: int = 0
    capped_steps: int = 0
    rtol: float = DEFAULT_RTOL

    def summary(self) -> pd.Series:
        """The scalar fields as a Series (for tables)."""
        skip = {"events", "thresholds", "reason", "explanation"}
        return pd.Series({f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                          if f.name not in skip}, name=self.site)


def _workload_words(scen: Scenario) -> str:
    kinds: dict[str, list[str]] = {}
    for name, cls in scen.workload.classes.items():
        label = name
        if cls.kind == "inference":
            label += " (must-serve)" if cls.degradable_share == 0 else \
                f" ({100 * cls.degradable_share:g} % degradable)"
        elif cls.kind == "training":
            label += f" (floor {100 * cls.min_throughput:g} % over {cls.window_h:g} h)"
        else:
            label += " (deferrable to deadlines)"
        kinds.setdefault(cls.kind, []).append(label)
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in kinds.items())


def explain(result: SloHeadroomResult, scenario: Scenario) -> str:
    """One paragraph saying what the SLO-aware headroom is and what limits it."""
    r = result
    head = (f"{r.site}: SLO-aware headroom {r.headroom_mw:,.1f} MW at a {100 * r.rate_fraction:g} "
            f"% curtailment rate ({r.size_factor:,.2f} copies of a site whose business-as-usual "
            f"peak import is {r.unit_peak_import_mw:,.3g} MW). Firm (no curtailment) "
            f"{r.firm_mw:,.1f} MW; the grid's rate limit for this load profile "
            f"{r.rate_limit_mw:,.1f} MW. Workload: {_workload_words(scenario)}.")
    n = len(r.events)
    events = f"{n} curtailment event{'s' if n != 1 else ''}"
    if r.limited_by == "rate":
        body = (f" The workload absorbs all {events} "
                f"({r.curtailed_hours_h:g} h, {r.curtailed_energy_mwh:,.0f} MWh shed) within its "
                f"tiers and deadlines up to the grid's rate limit, {r.extra_mw:,.1f} MW more "
                "than firm.")
    elif r.limited_by == "slo":
        body = (f" Its flexibility absorbs {events} "
                f"({r.curtailed_hours_h:g} h) and adds {r.extra_mw:,.1f} MW over firm; beyond "
                f"that {r.reason}.")
    else:
        body = (" Any curtailment hour requires importing less than business as usual, which "
                "this site cannot do without breaking a requirement, so it gets no headroom "
                f"beyond firm: {r.reason}.")
    return head + body
