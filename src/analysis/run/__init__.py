"""Runs: notebooks executed by papermill into run folders, batches, the command line."""
