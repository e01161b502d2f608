"""Ports: the ways :func:`xlflow.apply.apply` reaches a workbook.

``package`` edits a register file as an OOXML package (the command line, the checker's
reads of table extents); ``memory`` holds sheets as dictionaries (tests). Each implements
:class:`xlflow.apply.Port`.
"""
