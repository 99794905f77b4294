"""Operation on forecasts: rolling-horizon simulation, dispatch policies, forecasters.

Part of layer 6 (studies). :mod:`~dcflex.studies.operate.simulate` carries state from window
to window; :mod:`~dcflex.studies.operate.forecast` makes what each window sees; the policies
decide what to do with it.
"""
