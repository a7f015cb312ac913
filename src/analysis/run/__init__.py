"""Runs: notebooks executed by papermill into run folders, batches, the command line.

Importing this package keeps jsonschema's optional IRI checker out of the process. papermill imports
nbformat, nbformat imports jsonschema, and jsonschema's format module tries ``import rfc3987_syntax``
(installed because jupyter-events asks for ``jsonschema[format-nongpl]``), which compiles three Earley
grammars with lark at import: about 1 s of a 2 s ``import papermill`` on a quiet machine, 2.5 s of
3.6 s under load. Nothing a run imports checks the "iri" format: nbformat validates notebooks
without a format checker, papermill and nbclient never validate formats, and no JSON schema in the
environment names "iri" (jupyter-events, which does use a format checker, runs in Jupyter's server,
not here). A ``None`` entry in ``sys.modules`` makes that import raise ``ImportError``, which
jsonschema catches (``suppress(ImportError)``): its "iri" and "iri-reference" checks are then not
registered, as when the package is not installed. ``setdefault`` leaves a module already imported in
place.
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)
