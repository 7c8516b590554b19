# netsim compendium: `make book` builds the site, `make test` runs the tests.
# Both create (or reuse) the virtual environment .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.netsim-installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
CHAPTERS := book/chapters
NB ?= 00_tour
BOOK ?= book
PARAMS ?=

.PHONY: venv book html pages smoke-book smoke-site chapters chapter test unit notebooks-test bench clean-book clean-cache lab lock site-check

venv: $(STAMP)

# Every package is installed at the exact version of requirements.lock (`make lock` writes it);
# torch/torchvision are the builds this machine has on disk; jupyter-book<2 builds offline.
LOCK := requirements.lock
# Installed without their dependencies: torchattacks 3.5.1 pins an old requests that conflicts with the
# notebook stack; what it needs at run time (torch, torchvision, scipy, tqdm) is already in the lock.
NO_DEPS_PINS := torchattacks==3.5.1
$(STAMP): pyproject.toml $(LOCK) Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[book,test]"
	$(PY) -m pip install --quiet --no-deps $(NO_DEPS_PINS)
	touch $(STAMP)

# Pin the environment: exact versions of what .venv holds for netsim-compendium[book,test]
# -> requirements.lock and environment.yml (packages added by hand, e.g. ruff, are left out).
# The venv is what the new lock describes, so its stamp is refreshed (no reinstall follows).
lock: $(STAMP)
	$(PY) -m netsim.book.lock $(LOCK) environment.yml
	touch $(STAMP)

# Execute every notebook at the `book` profile into book/chapters, then render the site.
book: chapters
	@$(MAKE) --no-print-directory html

# Render the chapters already executed in book/chapters (no execution): the generated pages first
# (claims scoreboard, reproducibility appendix; git-ignored), then Jupyter Book.
html: pages
	$(VENV)/bin/jupyter-book build --all book
	@echo "Open book/_build/html/index.html"

pages: $(STAMP)
	$(PY) -m netsim.book.scoreboard book
	$(PY) -m netsim.book.appendix book $(LOCK)

# Load every built page in headless Chromium (Debian's package) and check links, images, chapters,
# claims tables and the scoreboard; screenshots land in book/_build/screenshots/.
site-check: $(STAMP)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "make site-check needs Debian's chromium package: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; }
	$(PY) -m netsim.book.site_check $(BOOK)

chapters: $(STAMP)
	mkdir -p $(CHAPTERS)
	@set -e; for nb in $(NOTEBOOKS); do \
	  name=$$(basename $$nb .ipynb); \
	  echo "== $$name"; start=$$(date +%s); \
	  NETSIM_CHAPTERS=$(CURDIR)/$(CHAPTERS) $(PY) -m papermill $$nb $(CHAPTERS)/$$name.ipynb --cwd notebooks --kernel python3 --log-level WARNING; \
	  echo "== $$name done in $$(( $$(date +%s) - start )) s"; \
	done

# Rerun one chapter with papermill parameters, e.g.
#   make chapter NB=00_tour PARAMS="-p profile smoke -p seeds 2"
chapter: $(STAMP)
	mkdir -p $(CHAPTERS)
	NETSIM_CHAPTERS=$(CURDIR)/$(CHAPTERS) $(PY) -m papermill notebooks/$(NB).ipynb $(CHAPTERS)/$(NB).ipynb --cwd notebooks --kernel python3 $(PARAMS)

# Unit tests, then every notebook executed by nbval at the smoke profile, then the smoke-profile
# book built and checked in Chromium (a broken chapter or page fails CI).
test: unit notebooks-test smoke-book

# The book from the smoke-profile notebooks, in build/smoke-book (the book's sources copied there;
# book/chapters is left alone), then the site check.
SMOKE_BOOK := build/smoke-book
smoke-book: $(STAMP)
	rm -rf $(SMOKE_BOOK) && mkdir -p $(SMOKE_BOOK)
	cp -r $(filter-out book/_build book/chapters book/scoreboard.md book/appendix.md,$(wildcard book/*)) $(SMOKE_BOOK)/
	NETSIM_PROFILE=smoke $(MAKE) --no-print-directory chapters CHAPTERS=$(SMOKE_BOOK)/chapters
	@$(MAKE) --no-print-directory smoke-site

# Render and check the smoke book from the chapters already in build/smoke-book/chapters.
smoke-site: $(STAMP)
	$(PY) -m netsim.book.scoreboard $(SMOKE_BOOK)
	$(PY) -m netsim.book.appendix $(SMOKE_BOOK) $(LOCK)
	$(VENV)/bin/jupyter-book build --all $(SMOKE_BOOK)
	@$(MAKE) --no-print-directory site-check BOOK=$(SMOKE_BOOK)

unit: $(STAMP)
	$(PY) -m pytest tests -q

# Claims artifacts of the smoke runs go to build/smoke-chapters (not over the book's), then are validated.
notebooks-test: $(STAMP)
	rm -rf build/smoke-chapters
	NETSIM_PROFILE=smoke NETSIM_CHAPTERS=$(CURDIR)/build/smoke-chapters \
	  $(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider -q notebooks
	$(PY) -m netsim.claims build/smoke-chapters

bench: $(STAMP)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_codelength.py
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_sketch.py
	$(PY) benchmarks/bench_scale.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

clean-book:
	rm -rf book/_build $(CHAPTERS)

clean-cache:
	rm -rf data/cache
