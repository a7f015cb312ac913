"""The toolkit's expected errors: each prints as one line naming the file, row, column and value."""

from __future__ import annotations


class AnalysisError(Exception):
    """An expected problem, reported to the user as one line (no traceback)."""

    def _render_traceback_(self) -> list[str]:
        # IPython (a notebook in JupyterLab or under papermill) shows these lines instead of a
        # traceback through the library's internals.
        return [f"{type(self).__name__}: {self}"]


class RegisterError(AnalysisError):
    """A register that cannot be read or mapped (file, row, column and value in the message)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ):
        parts = [str(file)] if file else []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        if value is not None:
            parts.append(f"value {str(value)[:60]!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.file, self.row, self.column, self.value = file, row, column, value


class ParameterError(AnalysisError):
    """A bad option or notebook parameter, named in the message."""


class RunError(AnalysisError):
    """A notebook run that failed; the message names the notebook (and cell when known)."""
