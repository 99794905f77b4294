"""The benchmark case of ``case.yaml`` written by hand: pandas reads the prices, scipy builds
the matrix, highspy solves. This is what a user would write without dcflex.

Columns: import[t], charge[t], discharge[t], soc[t] (t = 0..T-1), peak[m] (one per local
month). Rows: import - charge + discharge = load; soc[t] - soc[t-1] - 0.95 ch + dis/0.95 = 0
(soc[-1] = initial); import[t] - peak[month(t)] <= 0. Cost: price * import + rate * peak.
Prints the objective (USD) as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

LOAD_MW, IMPORT_MAX_MW = 100.0, 200.0
P_MW, E_MWH, ETA = 50.0, 200.0, 0.95
SOC_MIN, SOC_MAX, SOC0 = 0.1 * E_MWH, 0.9 * E_MWH, 0.5 * E_MWH
RATE_USD_PER_MW_MONTH = 12000.0
TZ = "America/Los_Angeles"


def data_dir() -> Path:
    env = os.environ.get("DCFLEX_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def main() -> None:
    path = data_dir() / "green-dcc/electricity_prices/US-CAL-CISO_electricity_prices_2023.csv"
    raw = pd.read_csv(path)
    price = pd.Series(raw["Price (USD/MWh)"].to_numpy(),
                      index=pd.to_datetime(raw["Datetime (UTC)"], utc=True))
    start = pd.Timestamp("2023-01-01", tz=TZ).tz_convert("UTC")
    end = pd.Timestamp("2023-12-31", tz=TZ).tz_convert("UTC")
    price = price[(price.index >= start) & (price.index < end)].to_numpy()
    T = len(price)
    months = pd.DatetimeIndex(pd.date_range(start, end, freq="1h", inclusive="left")
                              ).tz_convert(TZ).month.to_numpy() - 1
    M = months.max() + 1
    i_peak = 4 * T  # columns: import, charge, discharge, soc (T each), then peaks
    n = 4 * T + M
    eye = sp.eye(T, format="csr")
    z = sp.csr_matrix((T, T))
    zm = sp.csr_matrix((T, M))
    month_of = sp.csr_matrix((np.ones(T), (np.arange(T), months)), shape=(T, M))
    balance = sp.hstack([eye, -eye, eye, z, zm])
    dynamics = sp.hstack([z, -ETA * eye, eye / ETA, eye - sp.eye(T, k=-1), zm])
    peaks = sp.hstack([eye, z, z, z, -month_of])
    A = sp.vstack([balance, dynamics, peaks], format="csc")
    dyn_rhs = np.zeros(T)
    dyn_rhs[0] = SOC0
    row_lo = np.concatenate([np.full(T, LOAD_MW), dyn_rhs, np.full(T, -np.inf)])
    row_hi = np.concatenate([np.full(T, LOAD_MW), dyn_rhs, np.zeros(T)])
    soc_lo = np.full(T, SOC_MIN)
    soc_lo[-1] = SOC0
    col_lo = np.concatenate([np.zeros(3 * T), soc_lo, np.zeros(M)])
    col_hi = np.concatenate([np.full(T, IMPORT_MAX_MW), np.full(2 * T, P_MW),
                             np.full(T, SOC_MAX), np.full(M, np.inf)])
    cost = np.zeros(n)
    cost[:T] = price
    cost[i_peak:] = RATE_USD_PER_MW_MONTH
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.passModel(
        n, A.shape[0], A.nnz, int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, cost, col_lo, col_hi, row_lo, row_hi,
        A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data,
        np.zeros(n, dtype=np.int32),
    )
    if status != highspy.HighsStatus.kOk or h.run() != highspy.HighsStatus.kOk:
        sys.exit("HiGHS failed")
    print(json.dumps({"objective_usd": h.getInfo().objective_function_value, "steps": T}))


if __name__ == "__main__":
    main()
