"""The simulated demo register (labelled simulated everywhere), calibrated to the published totals."""
