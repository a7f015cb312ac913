"""Warnings turned into a table's words: an estimator that runs another many times (the walk, its
assumptions, the fully loaded table) says what a warning would have said once, in the row it concerns,
instead of repeating it on the console or in a rendered notebook."""

from __future__ import annotations

import warnings
from collections.abc import Callable


def quietly(fn: Callable, *args, **kwargs) -> tuple[object, str]:
    """``fn(*args, **kwargs)`` and the distinct texts of the warnings it raised, joined by "; "
    (empty when it raised none); the warnings themselves are not shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, "; ".join(dict.fromkeys(str(c.message) for c in caught))
