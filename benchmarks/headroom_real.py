"""Curtailment-enabled headroom of PJM, ERCOT and CAISO from EIA-930 demand, 2020-2024.

Run: ``python benchmarks/headroom_real.py``. Prints one table per BA at 0.25 / 0.5 / 1 / 5 %
curtailment, the published figures of Norris et al. ("Rethinking Load Growth", Nicholas
Institute, Duke University, Feb 2025; 2016-2024 data) next to ours, and the time taken.

Data: U.S. EIA Form 930 hourly demand as exported by Ruggles et al. (Zenodo
10.5281/zenodo.3517196, CC BY 4.0), raw values. Preparation, stated because it moves answers:
single-hour spikes and absurd values are set to missing (``screen_demand_spikes``); then PJM's
day-long reporting gaps are dropped from the count and the short gaps of ERCO and CISO are
interpolated (``fill_missing_demand``). For ERCOT the Ruggles "cleaned" TEX-region series is run
too, as the nearest thing to cleaned input. Seasons by UTC month and by local month.
"""

from __future__ import annotations

import time

import pandas as pd

from dcflex.data.datasets import shared_data
from dcflex.data.readers.eia930 import fill_missing_demand, read_eia930_demand, screen_demand_spikes
from dcflex.studies.headroom import headroom_table

RATES = (0.0025, 0.005, 0.01, 0.05)

# Norris et al. 2025, headroom in GW at 0.25 / 0.5 / 1 % (5 % not published).
PUBLISHED_GW = {"PJM": (13.3, 17.8, 23.6), "ERCO": (6.5, 10.0, 14.7)}

CASES = [
    # label, file, column, missing policy, published key, local time zone
    ("PJM", "PJM_raw_2020-2024.csv", "demand_mw", "drop", "PJM", "America/New_York"),
    ("ERCO", "ERCO_raw_2020-2024.csv", "demand_mw", "interpolate", "ERCO", "America/Chicago"),
    ("TEX cleaned", "TEX_region_raw_and_cleaned_2020-2024.csv", "demand_cleaned_mw",
     "interpolate", "ERCO", "America/Chicago"),
    ("CISO", "CISO_raw_2020-2024.csv", "demand_mw", "interpolate", None, "America/Los_Angeles"),
]


def main() -> None:
    pd.set_option("display.width", 140)
    total = time.perf_counter()
    for label, name, column, policy, published, tz in CASES:
        t0 = time.perf_counter()
        raw = read_eia930_demand(shared_data("eia930-cleaned-demand", name), column=column)
        demand, flagged = screen_demand_spikes(raw[column])
        demand, _ = fill_missing_demand(demand, policy=policy)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        table = headroom_table(demand, RATES)
        t_solve = time.perf_counter() - t0
        local = headroom_table(demand, RATES, tz=tz)
        thr = table.attrs["thresholds"]

        print(f"\n== {label}: {name} [{column}], {demand.index[0]:%Y-%m-%d} .. "
              f"{demand.index[-1]:%Y-%m-%d}, {len(demand)} h used; "
              f"{raw.attrs['missing_hours']} missing in file, {len(flagged)} spikes screened, "
              f"{demand.attrs['filled_hours']} interpolated, "
              f"{demand.attrs['dropped_hours']} dropped")
        print(f"   thresholds: summer {thr['summer_mw']:,.0f} MW ({thr['summer_peak_time_utc']}), "
              f"winter {thr['winter_mw']:,.0f} MW ({thr['winter_peak_time_utc']})")
        view = pd.DataFrame({
            "rate_pct": table["rate_pct"],
            "headroom_gw": table["headroom_mw"] / 1e3,
            "headroom_local_months_gw": local["headroom_mw"] / 1e3,
            "published_2016_2024_gw": list(PUBLISHED_GW.get(published, ()))
            + [float("nan")] * (len(RATES) - len(PUBLISHED_GW.get(published, ()))),
            "curtailed_h_per_yr": table["curtailed_hours_per_year_h"],
            "events": table["events"],
            "mean_event_h": table["mean_event_duration_h"],
            "max_event_h": table["max_event_duration_h"],
            "kept_pct": table["kept_share_pct"],
        })
        print(view.to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
        print(f"   time: read + prepare {t_read * 1e3:.0f} ms, headroom at {len(RATES)} rates "
              f"{t_solve * 1e3:.0f} ms")
    print(f"\ntotal {time.perf_counter() - total:.2f} s")


if __name__ == "__main__":
    main()
