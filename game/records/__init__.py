"""Records of games, below the session so that every front end may use them.

* :mod:`game.records.transcript`: one game's decision record (typed
  :class:`~game.records.transcript.Record`), built from a save and rendered
  as Markdown, HTML or JSON; the app exports it, ``tightrope transcript``
  writes it, the class report reads many.
* :mod:`game.records.render`: safe HTML/Markdown/CSV escaping, the page and
  the SVG charts of records and reports.
"""
