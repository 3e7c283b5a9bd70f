"""``tightrope lsp``: a language server for story folders.

The server (``server.py``, on pygls) is a thin shell over four parts that
know nothing of the protocol and can be tested on their own:

* ``folder.py`` finds the story folder of a file and checks it with the
  story layer's own ``check_story``, with the editor's unsaved buffers in
  place of the files on disk;
* ``index.py`` composes each file with the story layer's YAML composer and
  walks it with the format's declarations (``game.story.spec``) to find
  where every id is defined and referred to;
* ``complete.py`` works out from the text around the cursor what may be
  typed there (it has to work on half-written files);
* ``describe.py`` says in words what an id or a condition means.
"""
