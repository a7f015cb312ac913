"""Presentation: tables, summaries and figures built from the estimators' tidy tables."""
