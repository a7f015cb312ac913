"""Estimators: cost per beneficiary, allocation across provinces, regional effects. Pure functions
of DataFrames: no files, no figures."""
