"""xlflow — the PMQA international-cooperation process of สปร./วท. run from an Excel register.

The library is pure Python (``process``, ``worktime``, ``thaidate``, ``workflow``); the
doors (``cli``, ``macros``, the checker) parse, call one function, and show the result.
"""

__version__ = "0.1.0"
