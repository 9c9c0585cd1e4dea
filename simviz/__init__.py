"""The browser view: a scenario page (map, live charts, controls) and a sweep page.

Start it with ``python -m simviz`` (see :mod:`simviz.__main__`). Solara, Altair and
:mod:`experiments` are imported only inside this package, so the rest of :mod:`sim` stays
importable without them.
"""
