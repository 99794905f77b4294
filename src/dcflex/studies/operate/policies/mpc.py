"""Model-predictive control: solve the window LP on forecasts, apply the first interval.

:class:`MpcPolicy` builds the window LP from the core components once per window
*structure* and then only changes costs, bounds, right-hand sides and the PUE / grid-CFE
coefficients of the same ``highspy.Highs`` object, which keeps its basis (warm start). The
structure of a window is its length, the alignment of training SLO windows and the step ranges
of batch releases inside it; for daily re-plans a handful of structures recur all year.

What the window LP carries over, and what it approximates (stated because it moves answers):

* battery: the initial state of charge is the one reached; each window ends with at least the
  scenario's initial charge (the core's end condition; conservative for inner windows).
* batch: each release's remaining GPU-hours. A release whose deadline lies beyond the window
  must do at least its pro-rata share inside (remaining × visible steps / steps left to its
  deadline) and may do all of it.
* training SLO: throughput already delivered in the current SLO window counts; an SLO window
  reaching beyond the look-ahead needs its pro-rata share of what is left (at least what
  could not be done afterwards at full speed).
* demand charges: each billing month's peak column has the peak already reached as lower
  bound, so a later window neither pays it again nor plans below it; months that start inside
  the window start at zero (exact, not an approximation).
* hourly CFE target: the surplus or deficit so far is spread pro-rata over the rest of the
  period.
* demand response: events are known in advance; the business-as-usual reference import of a
  ``reduce_to_fraction`` event is the one computed from actual data.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import scipy.sparse as sp

from dcflex.errors import InfeasibleError
from dcflex.studies.operate.policies.base import (
    BatchSpec,
    Decisions,
    Plant,
    State,
    TrainingSpec,
    Window,
    _active_releases,
)
from dcflex.studies.operate.policies.window_lp import (
    COUPLED,
    _check_coverage,
    _Coupled,
    _probe,
    _Template,
    _template_scenario,
)


class MpcPolicy:
    """Model-predictive control: solve the window LP on forecasts, apply the first interval.

    Parameters
    ----------
    month_slots : int
        Billing months a window can touch (peak columns per demand charge).
    """

    name = "mpc"

    def __init__(self, plant: Plant, month_slots: int, threads: int | None = None) -> None:
        self.plant = plant
        self.month_slots = max(1, int(month_slots))
        self.threads = threads
        self._templates: dict[tuple, _Template] = {}
        self._scenario = _template_scenario(plant.scenario)
        w = plant.weights
        self._w_cost = w.get("cost_usd", 0.0)
        self._w_avg = w.get("emissions_avg_t", 0.0)
        self._w_marg = w.get("emissions_marginal_t", 0.0)
        self.templates_built = 0
        self.last_lp = None  # the LP structure and Highs object of the last plan (inspection)
        self.last_highs = None

    # -- structure -----------------------------------------------------------------------

    def _slo_rows(self, t: TrainingSpec, s: int, L: int) -> list[tuple[int, int, int]]:
        w = t.window_steps
        rows = []
        for k in range(s // w, (s + L - 1) // w + 1):
            rows.append((k, max(k * w, s) - s, min((k + 1) * w, s + L) - s))
        return rows

    def _batch_slots(self, b: BatchSpec, s: int, L: int) -> tuple[np.ndarray, list]:
        ids = _active_releases(b, s, s + L)
        ra = np.maximum(b.release_step[ids], s) - s
        rb = np.minimum(b.end_step[ids], s + L) - s
        order = np.lexsort((ids, rb, ra))
        ids, ra, rb = ids[order], ra[order], rb[order]
        return ids, list(zip(ra.tolist(), rb.tolist(), strict=True))

    def _assemble(self, s: int, L: int, slots: dict[str, list], slo: dict[str, list],
                  series: pd.DataFrame):
        """The window LP: the core components on a template of the window, plus the SLO,
        billing-month peak and demand-response blocks the simulation re-adds."""
        from dcflex.model.components import COMPONENTS
        from dcflex.model.components.workload_batch import PER_RELEASE_KEY
        from dcflex.model.lp import ModelBuilder

        plant = self.plant
        inputs = plant.inputs
        idx = inputs.index[s:s + L]
        core_step = (idx[1] - idx[0]) if L > 1 else pd.Timedelta(hours=1)
        wp = dict(inputs.params["workload"])
        wp[PER_RELEASE_KEY] = True  # the plan sets each release's remaining work on its row
        wp["releases"] = {
            name: pd.DataFrame({
                "release_utc": pd.DatetimeIndex([idx[a] for a, _ in sl], tz="UTC"),
                "deadline_utc": pd.DatetimeIndex([idx[b - 1] + core_step for _, b in sl],
                                                 tz="UTC"),
                "gpu_hours": np.zeros(len(sl)),
            })
            for name, sl in slots.items()
        }
        params = dict(inputs.params)
        params["workload"] = wp
        if self._scenario.ppa is None:
            params.pop("ppa", None)
        tin = dataclasses.replace(inputs, series=series, scenario=self._scenario, params=params)
        builder = ModelBuilder(idx, inputs.step_hours)
        for component in COMPONENTS:
            component.add_block(builder, tin)
        imp = builder.var("grid_import_mw")
        for t in plant.training:
            if t.name not in slo:
                continue
            rows = slo[t.name]
            r = np.concatenate([np.full(r1 - r0, i) for i, (_, r0, r1) in enumerate(rows)])
            c = np.concatenate([np.arange(r0, r1) for _, r0, r1 in rows])
            M = sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(rows), L))
            builder.add_constraints(f"sim_slo__{t.name}",
                                    [(builder.var(f"training_throughput__{t.name}"), M)], lb=0.0)
        S = self.month_slots
        for i, (rate, _) in enumerate(plant.demand_charges):
            peak = builder.add_variables(f"sim_peak_mw__{i}", lb=0.0, size=S)
            pick = sp.vstack([sp.identity(L, format="csr")] * S, format="csr")
            spread = sp.kron(sp.identity(S, format="csr"), np.ones((L, 1)), format="csr")
            builder.add_constraints(f"sim_peak_def__{i}", [(imp, pick), (peak, -spread)],
                                    ub=np.inf, n_rows=S * L)
            builder.add_objective("cost_usd", peak, rate)
        dt = inputs.step_hours
        for k, lay in enumerate(plant.dr_layers):
            short = builder.add_variables(f"sim_dr_shortfall_mw__{k}", lb=0.0, ub=0.0)
            builder.add_constraints(f"sim_dr_cap__{k}", [(imp, 1.0), (short, -1.0)], ub=np.inf)
            builder.add_objective("cost_usd", short, lay.penalty_usd_per_mwh[s:s + L] * dt)
            red = builder.add_variables(f"sim_dr_reduction_mw__{k}", lb=0.0, ub=0.0)
            builder.add_constraints(f"sim_dr_reduction__{k}", [(red, 1.0), (imp, 1.0)],
                                    ub=np.inf)
            builder.add_objective("cost_usd", red, -lay.payment_usd_per_mwh[s:s + L] * dt)
        return builder.build(plant.weights)

    def _build(self, s: int, L: int, slots: dict[str, list], slo: dict[str, list]
               ) -> _Template:
        from dcflex.model.solve import make_highs

        plant = self.plant
        inputs = plant.inputs
        series = inputs.series.iloc[s:s + L]
        lp = self._assemble(s, L, slots, slo, series)
        h = make_highs(lp, threads=self.threads)
        B, R = lp.blocks, lp.row_blocks
        cost = [B["grid_import_mw"].cols]
        for name in ("grid_export_mw", "ppa_used_mw"):
            if name in B:
                cost.append(B[name].cols)
        for k, _ in enumerate(plant.dr_layers):
            cost += [B[f"sim_dr_shortfall_mw__{k}"].cols, B[f"sim_dr_reduction_mw__{k}"].cols]
        colb = [B[f"inference_it_mw__{c.name}"].cols for c in plant.inference]
        for name in ("pv_used_mw", "wind_used_mw", "ppa_used_mw"):
            if name in B:
                colb.append(B[name].cols)
        colb.append(B["grid_import_mw"].cols)
        if "battery_soc_mwh" in B:
            colb.append(B["battery_soc_mwh"].cols[-1:])
        for i, _ in enumerate(plant.demand_charges):
            colb.append(B[f"sim_peak_mw__{i}"].cols)
        for k, _ in enumerate(plant.dr_layers):
            colb += [B[f"sim_dr_shortfall_mw__{k}"].cols, B[f"sim_dr_reduction_mw__{k}"].cols]
        rowb = [np.zeros(0, np.int64)]
        if "battery_soc_dynamics" in R:
            rowb.append(np.array([R["battery_soc_dynamics"].start]))
        names = [f"batch_work__{b.name}" for b in plant.batch]
        names += [f"sim_slo__{t.name}" for t in plant.training if t.name in slo]
        names += [f"sim_peak_def__{i}" for i, _ in enumerate(plant.demand_charges)]
        for k, _ in enumerate(plant.dr_layers):
            names += [f"sim_dr_cap__{k}", f"sim_dr_reduction__{k}"]
        for nm in names:
            rowb.append(np.arange(R[nm].start, R[nm].start + R[nm].size))
        if "cfe_target" in R:
            rowb.append(np.array([R["cfe_target"].start]))
        gather = {}
        for b in plant.batch:
            g = np.full((len(slots[b.name]), L), -1, dtype=np.int64)
            off = B[f"batch_gpus__{b.name}"].start
            for j, (a, e) in enumerate(slots[b.name]):
                g[j, a:e] = np.arange(off, off + e - a)
                off += e - a
            gather[b.name] = g
        coupled = []
        for row_name, col_name, sign, col in COUPLED:
            if row_name in R and col_name in B:
                coupled.append(_Coupled(
                    np.arange(R[row_name].start, R[row_name].start + L), B[col_name].cols, sign,
                    col, series[col].to_numpy().copy()))

        def cat(parts):
            return np.ascontiguousarray(np.concatenate(parts), dtype=np.int32)

        cost_idx, colb_idx, rowb_idx = cat(cost), cat(colb), cat(rowb)
        if self.templates_built == 0:  # every structure comes from the same component code
            _check_coverage(lp, self._assemble(s, L, slots, slo, _probe(series)),
                            cost_idx, colb_idx, rowb_idx, coupled)
        self.templates_built += 1
        # what the core put on these columns beyond the series-dependent part (tie-breaks,
        # wear costs) stays; only the series-dependent part is rewritten per window
        sl = slice(s, s + L)
        const = lp.c[cost_idx] - self._cost_values(plant, lambda c: plant.actual[c][sl], sl, B)
        return _Template(lp, h, L, slo, slots, cost_idx, const, colb_idx, rowb_idx, coupled,
                         gather)

    # -- per window ----------------------------------------------------------------------

    def plan(self, plant: Plant, state: State, window: Window) -> Decisions:
        from dcflex.model.solve import run_highs

        s, L = window.start, window.length
        slots, ids_of = {}, {}
        for b in plant.batch:
            ids_of[b.name], slots[b.name] = self._batch_slots(b, s, L)
        slo = {t.name: self._slo_rows(t, s, L) for t in plant.training if t.min_throughput > 0}
        key = (L, tuple((t.name, s % t.window_steps) for t in plant.training if t.name in slo),
               tuple((name, tuple(v)) for name, v in slots.items()))
        tpl = self._templates.get(key)
        new = tpl is None
        if new:
            tpl = self._templates[key] = self._build(s, L, slots, slo)
        self._update(tpl, plant, state, window, ids_of)
        h = tpl.h
        try:
            sol = run_highs(h, tpl.lp.num_col)
        except InfeasibleError:
            when = plant.inputs.index[s].tz_convert(plant.scenario.site.timezone)
            raise InfeasibleError([
                f"window from {when} ({L} steps): no plan meets the limits from the state "
                f"reached (battery {state.soc_mwh:.4g} MWh, backlog "
                + ", ".join(f"{b.name} {state.backlog_gpu_hours(plant, b.name):.6g} GPU-h"
                            for b in plant.batch) + ")"
            ]) from None
        tpl.uses += 1
        self.last_lp, self.last_highs = tpl.lp, tpl.h
        return self._decisions(tpl, sol, plant, window, ids_of, new)

    def _cost_values(self, plant: Plant, get, sl: slice, B) -> np.ndarray:
        """Series-dependent part of the costs of ``cost_idx`` (energy, carbon, export, PPA,
        demand-response), in the order of ``cost_idx``."""
        dt = plant.dt
        price = get("energy_price_usd_per_mwh")
        c_imp = self._w_cost * price * dt
        if self._w_avg:
            c_imp = c_imp + self._w_avg * get("carbon_avg_kg_per_mwh") * dt / 1e3
        if self._w_marg:
            c_imp = c_imp + self._w_marg * get("carbon_marginal_kg_per_mwh") * dt / 1e3
        cost = [c_imp]
        if "grid_export_mw" in B:
            cost.append(-self._w_cost * get("export_price_usd_per_mwh") * dt)
        if "ppa_used_mw" in B:
            # a direct line's delivered MWh took 1/η MWh off the plant's resale
            eff = plant.inputs.params["ppa"].line_efficiency
            cost.append(self._w_cost * get("wholesale_price_usd_per_mwh") / eff * dt)
        for lay in plant.dr_layers:
            cost.append(self._w_cost * lay.penalty_usd_per_mwh[sl] * dt)
            cost.append(-self._w_cost * lay.payment_usd_per_mwh[sl] * dt)
        return np.concatenate(cost)

    def _update(self, tpl: _Template, plant: Plant, state: State, window: Window,
                ids_of: dict[str, np.ndarray]) -> None:
        s, L, dt = window.start, window.length, plant.dt
        sl = slice(s, s + L)
        h = tpl.h
        B = tpl.lp.blocks
        get = window.forecast.get
        cost_v = tpl.cost_const + self._cost_values(
            plant, lambda c: get(c) if c in window.forecast else plant.actual[c][sl], sl, B)
        h.changeColsCost(len(tpl.cost_idx), tpl.cost_idx, cost_v)

        lbs, ubs = [], []
        for c in plant.inference:
            d = window.series(plant, f"inference_demand_mw__{c.name}")
            lbs.append(c.idle_mw + (1 - c.degradable_share) * (d - c.idle_mw))
            ubs.append(d)
        for name, col in (("pv_used_mw", "pv_available_mw"), ("wind_used_mw",
                                                              "wind_available_mw"),
                          ("ppa_used_mw", "ppa_contracted_mw")):
            if name in B:
                lbs.append(np.zeros(L))
                ubs.append(window.series(plant, col))
        lbs.append(np.zeros(L))
        ubs.append(plant.import_cap_mw[sl])
        bat = plant.battery
        if bat is not None:
            soc_lb = bat.soc_min_fraction * bat.energy_mwh
            reach = state.soc_mwh + bat.charge_efficiency * bat.power_mw * dt * L
            lbs.append(np.array([min(max(soc_lb, plant.e0), reach)]))
            ubs.append(np.array([bat.soc_max_fraction * bat.energy_mwh]))
        S = self.month_slots
        m0 = plant.month_of_step[s]
        month_rel = plant.month_of_step[sl] - m0
        months = m0 + np.arange(S)
        for i, _ in enumerate(plant.demand_charges):
            have = months < plant.n_months
            lb = np.zeros(S)
            lb[have] = state.peaks_mw[i, months[have]]
            lbs.append(lb)
            ubs.append(np.full(S, np.inf))
        for lay in plant.dr_layers:
            # reduction = CBL − import where paid (free in sign, netted over the event)
            paid = np.isfinite(lay.cbl_mw[sl])
            lbs += [np.zeros(L), np.where(paid, -np.inf, 0.0)]
            ubs += [np.where(np.isfinite(lay.cap_mw[sl]), np.inf, 0.0),
                    np.where(paid, np.inf, 0.0)]
        h.changeColsBounds(len(tpl.colb_idx), tpl.colb_idx, np.concatenate(lbs),
                           np.concatenate(ubs))

        rl, ru = [], []
        if bat is not None:
            rl.append(np.array([state.soc_mwh]))
            ru.append(np.array([state.soc_mwh]))
        for b in plant.batch:
            ids = ids_of[b.name]
            rem = state.batch_remaining_gpu_hours[b.name][ids]
            first = np.maximum(b.release_step[ids], s)
            left = b.end_step[ids] - first
            visible = np.minimum(b.end_step[ids], s + L) - first
            inside = b.end_step[ids] <= s + L
            rl.append(np.where(inside, rem, rem * visible / np.maximum(left, 1)))
            ru.append(rem)
        for t in plant.training:
            if t.name not in tpl.slo_rows:
                continue
            rows = tpl.slo_rows[t.name]
            k = np.array([r[0] for r in rows]) + (s // t.window_steps - rows[0][0])
            w = t.window_steps
            start_k = np.maximum(k * w, s)
            end_k = np.minimum((k + 1) * w, plant.n_steps)
            length_k = end_k - k * w
            need = np.maximum(0.0, t.min_throughput * length_k - state.slo_delivered[t.name][k])
            visible = np.minimum(end_k, s + L) - start_k
            left = end_k - start_k
            share = np.maximum(need * visible / np.maximum(left, 1), need - (left - visible))
            req = np.where(end_k <= s + L, need, share)
            rl.append(np.minimum(req, visible - 1e-9))  # a shortfall becomes an SLO miss
            ru.append(np.full(len(rows), np.inf))
        for _, mask in plant.demand_charges:
            active = (month_rel[None, :] == np.arange(S)[:, None]) & mask[sl][None, :]
            rl.append(np.full(S * L, -np.inf))
            ru.append(np.where(active, 0.0, np.inf).ravel())
        for lay in plant.dr_layers:
            cbl = lay.cbl_mw[sl]
            rl += [np.full(L, -np.inf), np.where(np.isfinite(cbl), cbl, -np.inf)]
            ru += [lay.cap_mw[sl], cbl]
        if "cfe_target" in tpl.lp.row_blocks:
            rl.append(np.array([-state.cfe_surplus_mw_steps * L / (plant.n_steps - s)]))
            ru.append(np.array([np.inf]))
        if len(tpl.rowb_idx):
            h.changeRowsBounds(len(tpl.rowb_idx), tpl.rowb_idx, np.concatenate(rl),
                               np.concatenate(ru))
        for cp in tpl.coupled:
            v = window.series(plant, cp.series)
            changed = np.flatnonzero(v != cp.now)
            for j in changed:
                h.changeCoeff(int(cp.rows[j]), int(cp.cols[j]), cp.sign * float(v[j]))
            cp.now[changed] = v[changed]

    def _decisions(self, tpl: _Template, sol, plant: Plant, window: Window,
                   ids_of: dict[str, np.ndarray], new: bool) -> Decisions:
        x = sol.x
        B = tpl.lp.blocks
        n = window.n_apply

        def first(name: str) -> np.ndarray:
            b = B[name]
            return x[b.start:b.start + n]

        if "battery_charge_mw" in B:
            ch, dis = first("battery_charge_mw"), first("battery_discharge_mw")
        else:
            ch = dis = np.zeros(n)
        training = {t.name: first(f"training_it_mw__{t.name}") for t in plant.training}
        batch = {}
        for b in plant.batch:
            g_idx = tpl.batch_gather[b.name][:, :n]
            g = np.where(g_idx >= 0, x[np.maximum(g_idx, 0)], 0.0)
            batch[b.name] = (ids_of[b.name], np.maximum(g, 0.0))
        shed = {}
        for c in plant.inference:
            if c.degradable_share > 0:
                d = window.series(plant, f"inference_demand_mw__{c.name}")[:n]
                dyn = d - c.idle_mw
                served = first(f"inference_it_mw__{c.name}")
                shed[c.name] = np.where(dyn > 1e-12, (d - served) / np.where(dyn > 1e-12, dyn, 1),
                                        0.0)
        onsite = {}
        for name, col in (("pv_used_mw", "pv_available_mw"), ("wind_used_mw",
                                                              "wind_available_mw"),
                          ("ppa_used_mw", "ppa_contracted_mw")):
            if name in B:
                onsite[col] = first(name)
        return Decisions(ch.copy(), dis.copy(), training, batch, shed, onsite,
                         first("grid_import_mw").copy(), sol.solve_seconds, sol.iterations,
                         sol.objective - tpl.lp.offset, new)
