"""Creator discovery: ingest creator profiles (CSV, XLSX, JSON, SQL) and search them by text, photo or both.

See ``docs/creators.md``. Modules: :mod:`parsing` (human-formatted numbers), :mod:`mapping` (columns),
:mod:`sources` (files and databases), :mod:`validate`, :mod:`photos`, :mod:`ingest`, :mod:`schema`
(store layout), :mod:`quality` (audience quality), :mod:`query` (natural-language filters),
:mod:`search`, :mod:`demo`.
"""

__all__: list[str] = []
