"""adclass: relevance and theme of stored ads for a brand keyword.

Data (``db``, ``repository``, ``importer``), batched idempotent runs (``service``), the labelling loop
(``labels``), interfaces (``api``, ``cli``, the ``/adclass`` page) and the classifiers
(``adlens.adclass.classifiers``). See docs/adclass.md.
"""

__all__: list[str] = []
