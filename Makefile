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
PARAMS ?=

.PHONY: venv book chapters chapter test unit notebooks-test bench clean-book clean-cache lab

venv: $(STAMP)

# torch/torchvision are pinned to the builds this machine has on disk; jupyter-book<2 builds offline.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -e ".[book,test]"
	touch $(STAMP)

# Execute every notebook at the `book` profile into book/chapters, then render the site.
book: chapters
	$(VENV)/bin/jupyter-book build book
	@echo "Open book/_build/html/index.html"

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

# Unit tests, then every notebook executed by nbval at the smoke profile.
test: unit notebooks-test

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

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

clean-book:
	rm -rf book/_build $(CHAPTERS)

clean-cache:
	rm -rf data/cache
