"""The xlflow Excel add-in: ribbon (``customUI14.xml``), VBA callbacks (``xlflow.bas``)
and the builder that packs them with the xlwings VBA into ``xlflow.xlam``.

``xlflow addin build`` calls :func:`build_addin`.
"""

from xlflow.addin.build import build_addin, macro_calls, ribbon_actions, vba_modules

__all__ = ["build_addin", "macro_calls", "ribbon_actions", "vba_modules"]
