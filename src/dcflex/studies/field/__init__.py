"""Field validation as prediction: replay grid events on measured GPU clusters.

Part of layer 6 (studies). An event file (:mod:`~dcflex.studies.field.event_file`) holds the
cluster, the grid's request, the baseline rule and, for scoring only, what was measured.
:mod:`~dcflex.studies.field.predict` predicts cluster and job power from the first three and a
:mod:`~dcflex.studies.field.calibration` (stated defaults, or fitted on another event by
:mod:`~dcflex.studies.field.calibrate`); :mod:`~dcflex.studies.field.score` then compares it
with the meter (:mod:`~dcflex.studies.field.measured`) beside a flat line at the request target
and any other party's prediction. :mod:`~dcflex.studies.field.replay` runs the three steps,
:mod:`~dcflex.studies.field.plots` draws them. The controller model is the job-level LP of
:mod:`~dcflex.studies.field.event_response` (jobs and tiers in
:mod:`~dcflex.studies.field.cluster`, trapezoid helpers in
:mod:`~dcflex.studies.field.trajectory`, request shapes in
:mod:`~dcflex.studies.field.request`).
"""
