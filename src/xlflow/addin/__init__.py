"""The xlflow Excel add-in: ribbon (``customUI14.xml``), VBA callbacks (``xlflow.bas``)
and the builder that packs them with the xlwings VBA into ``xlflow.xlam``.

``xlflow addin build`` calls :func:`build_addin`; :mod:`xlflow.addin.compare` checks the
result against Excel-made add-ins; :mod:`xlflow.addin.version` is what a click checks;
``python -m xlflow.addin.export FOLDER`` writes the modules for an add-in made in Excel.
"""

from xlflow.addin.build import AddinError, build_addin, macro_calls, ribbon_actions, ribbon_twins, vba_modules

__all__ = ["AddinError", "build_addin", "macro_calls", "ribbon_actions", "ribbon_twins", "vba_modules"]
