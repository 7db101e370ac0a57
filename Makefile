# GANs in Keras: the two set-up commands are `make book` and `make test`; both build the
# environment they need in .venv from the pinned versions in constraints.txt.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ganlib-installed
# Tests run in JOBS processes (pytest-xdist), each test file whole in one of them.
JOBS   ?= 2
XDIST  := --numprocesses $(JOBS) --dist loadfile
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg -p no:cacheprovider

.PHONY: help install test test-slow test-min unit nbval book site-test execute bench clean

help:
	@echo "make book     build the site into _build/html from the stored notebook outputs"
	@echo "make test     unit tests, then every notebook under pytest --nbval in quick mode"
	@echo "make test-slow  the long tests the default run leaves out (tests/README.md)"
	@echo "make test-min   unit tests and chapters 1-3 on the oldest supported stack (constraints-min.txt)"
	@echo "make site-test  build the site, then open every page in headless Chromium, desktop and phone (tools/site_test.py)"
	@echo "make execute  rerun every notebook in full mode and store (stamp) its outputs"
	@echo "make bench    the speed benchmarks (each prints 'ratio: X' last)"

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[cpu,book,test,jax]"
	touch $(STAMP)

install: $(STAMP)

test: unit nbval

unit: $(STAMP)
	$(PY) -m pytest $(XDIST) tests

# The long tests the default run leaves out (tests/README.md says why each is covered there).
test-slow: $(STAMP)
	$(PY) -m pytest $(XDIST) tests -m slow

nbval: $(STAMP)
	GANLIB_QUICK=1 $(PY) -m pytest $(XDIST) $(NBVAL) notebooks

# The unit tests and chapters 1-3 on the oldest stack the course supports (constraints-min.txt:
# Colab's TensorFlow, Keras, NumPy and matplotlib), in its own environment. The golden values
# belong to the pinned stack (constraints.txt), so test_golden.py is left out here.
VENV_MIN  := .venv-min
STAMP_MIN := $(VENV_MIN)/.ganlib-installed

$(STAMP_MIN): pyproject.toml constraints-min.txt
	test -x $(VENV_MIN)/bin/python || $(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/python -m pip install -q --upgrade pip
	$(VENV_MIN)/bin/python -m pip install -q -c constraints-min.txt -e ".[cpu,test,jax]" nbclient pyyaml
	touch $(STAMP_MIN)

test-min: $(STAMP_MIN)
	$(VENV_MIN)/bin/python -m pytest $(XDIST) tests --ignore=tests/test_golden.py
	GANLIB_QUICK=1 $(VENV_MIN)/bin/python -m pytest $(XDIST) $(NBVAL) notebooks/01_*.ipynb \
		notebooks/02_*.ipynb notebooks/03_*.ipynb

book: $(STAMP)
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build --all .

# Every page of the built site in headless Chromium (driven by Playwright), on a desktop and on a
# phone: fails on console errors, requests outside the site, broken images, raw TeX, Markdown tables
# printed as text, figures shrunk below 60 % of their width, pages that scroll sideways on the
# phone and figures a tap cannot open at full size (the checks are described in
# tools/site_test.py). Installs Chromium when root.
site-test: book
	$(PY) tools/site_test.py _build/html

execute: $(STAMP)
	$(PY) notebooks/execute.py $(NOTEBOOKS)

bench: $(STAMP)
	$(PY) benchmarks/gaussian_round.py
	$(PY) benchmarks/dcgan_step.py
	$(PY) benchmarks/mixture_round.py
	$(PY) benchmarks/optimizer_apply.py
	$(PY) benchmarks/progan_r1.py

clean:
	rm -rf _build .pytest_cache
