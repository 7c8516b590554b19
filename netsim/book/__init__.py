"""Build-time pages and checks of the rendered book.

* :mod:`netsim.book.scoreboard` writes ``book/scoreboard.md`` from every claims artifact;
* :mod:`netsim.book.appendix` writes ``book/appendix.md`` (versions, machine, commit, run times);
* :mod:`netsim.book.lock` writes ``requirements.lock`` and ``environment.yml`` from a virtual environment;
* :mod:`netsim.book.site_check` loads every built page in headless Chromium and checks it.

The generated pages are git-ignored and never edited by hand (``make book`` writes them before
``jupyter-book build``).
"""
