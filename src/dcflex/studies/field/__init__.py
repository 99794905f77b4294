"""Field validation: replay grid events on measured GPU clusters.

Part of layer 6 (studies). :mod:`~dcflex.studies.field.cluster` describes jobs and tiers,
:mod:`~dcflex.studies.field.event_response` is the job-level controller LP,
:mod:`~dcflex.studies.field.trajectory` the event-shape helpers, and
:mod:`~dcflex.studies.field.replay` reads the field data and scores the model.
"""
