# MedLab — the two commands:
#   make lab    set everything up (first time) and open the course in JupyterLab
#   make test   set everything up (first time) and run the whole test suite (what CI runs)
#
# Everything lives in .venv (created with the python3 on PATH, 3.10+).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.medlab-installed
NB_TIMEOUT ?= 240

# TensorFlow's C++ INFO lines would otherwise land in notebook outputs (see TOOLCHAIN.md).
export TF_CPP_MIN_LOG_LEVEL ?= 1
export PYTHONDONTWRITEBYTECODE = 1

LESSONS := $(sort $(wildcard lessons/*.ipynb))

.PHONY: lab test install labextension test-python test-notebooks test-browser test-hub test-itk test-wheel lint bench clean help

help:
	@echo "make lab    - install (first time) and open the course in JupyterLab"
	@echo "make test   - install (first time) and run every test (unit, notebooks, browser, hub, itk, wheel)"
	@echo "make bench  - benchmarks (import time, training throughput, widget latency)"

install: $(STAMP)

LABEXT := medlab/labextension/package.json
EXT_SOURCES := $(wildcard extension/src/*.ts extension/style/*) extension/package.json extension/yarn.lock

# Python packages (editable medlab + dev tools), then the JupyterLab extension built from
# extension/ with the jlpm that JupyterLab ships and linked into the venv (an editable
# install does not install shared data). The optional 3d extra (itkwidgets, whose viewer
# loads online and whose ImJoy lab extension shows a broken launcher card offline) is not
# installed: VolumeViewer's 3D view is the bundled NiiVue; `make test-itk` tests the extra.
$(STAMP): pyproject.toml $(EXT_SOURCES)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,class]"
	@# nbgrader (the class extra: `medlab class nbgrader` and its round-trip test) switches on
	@# its own JupyterLab and server extensions, and Notebook 7's: off, so the course's
	@# JupyterLab stays as it is (a teacher enables them where grading happens).
	$(BIN)/jupyter server extension disable --sys-prefix notebook \
	  nbgrader.server_extensions.formgrader nbgrader.server_extensions.validate_assignment \
	  nbgrader.server_extensions.assignment_list nbgrader.server_extensions.course_list >/dev/null 2>&1
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader \
	  @jupyter-notebook/lab-extension >/dev/null 2>&1
	$(MAKE) --no-print-directory labextension
	$(BIN)/medlab dev link-extension
	$(BIN)/medlab datasets fetch --all
	@touch $(STAMP)

labextension: $(LABEXT)

$(LABEXT): $(EXT_SOURCES)
	cd extension && PATH="$(abspath $(BIN)):$$PATH" jlpm install --immutable
	cd extension && PATH="$(abspath $(BIN)):$$PATH" jlpm build:prod
	@touch $(LABEXT)

lab: install
	$(BIN)/medlab lab

test: install
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-python test-notebooks test-browser test-hub test-itk test-wheel && \
	echo "make test: all stages passed in $$(( $$(date +%s) - start )) s"

# ruff (with the NumPy docstring rules on medlab/), the formatter's check, mypy on the typed
# modules ([tool.mypy] in pyproject.toml), then eslint and prettier on the extension.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd extension && PATH="$(abspath $(BIN)):$$PATH" jlpm install --immutable >/dev/null
	cd extension && PATH="$(abspath $(BIN)):$$PATH" jlpm lint:check

test-python: install
	$(BIN)/pytest tests

# Every lesson (and the appendix notebooks), executed in fast mode and compared with the
# stored outputs (strict nbval) after the sanitizers in tests/notebooks/sanitize.cfg. Then the
# learner versions (solutions replaced by fallbacks to the reference code): they must reproduce
# the same outputs, except the exercise cells themselves, which the learner build tags
# nbval-ignore-output. A private data folder keeps a developer's downloaded MedMNIST files
# (which lesson 05 would prefer) out of the comparison; the real datasets that `make install`
# fetched from registry packages (cache folders named <package>-<version>) are linked into it.
test-notebooks: install
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cache=$$($(BIN)/python -c "from medlab.config import config; print(config.cache_dir)"); \
	mkdir -p $$tmp/data/datasets; for d in $$cache/*-*/; do ln -s "$$d" $$tmp/data/datasets/; done; \
	export MEDLAB_FAST=1 MEDLAB_DATA_DIR=$$tmp/data; \
	MEDLAB_PROGRESS_DIR=$$tmp/progress $(BIN)/pytest -p no:cacheprovider \
	  --nbval $(LESSONS) --nbval-sanitize-with tests/notebooks/sanitize.cfg \
	  --nbval-cell-timeout=$(NB_TIMEOUT) --durations=0 || exit 1; \
	$(BIN)/medlab lessons build-learner $$tmp/learner --from lessons >/dev/null || exit 1; \
	MEDLAB_PROGRESS_DIR=$$tmp/progress-learner $(BIN)/pytest -p no:cacheprovider \
	  --nbval $$tmp/learner --nbval-sanitize-with tests/notebooks/sanitize.cfg \
	  --nbval-cell-timeout=$(NB_TIMEOUT) --durations=0 --rootdir=$$tmp -c /dev/null

test-browser: install
	VENV=$(abspath $(VENV)) bash tests/browser/run.sh

# MedLab under a real JupyterHub on localhost: two learners, their own servers, progress
# and endpoints (tests/hub/run.sh; about a minute and a half).
test-hub: install
	VENV=$(abspath $(VENV)) bash tests/hub/run.sh

# The optional 3d extra (itkwidgets) and VolumeViewer's guard around it (mode="itk" never
# freezes a headless kernel): itkwidgets goes into a venv of its own, $(ITK_VENV), layered
# on $(VENV) by a .pth file (it sees every package there and adds only the extra's), so
# $(VENV), and `make lab`, stay without it. About a minute the first time.
ITK_VENV ?= build/venv-itk
test-itk: install
	@test -x $(ITK_VENV)/bin/python || $(PYTHON) -m venv $(ITK_VENV)
	$(ITK_VENV)/bin/python -c "import site, sysconfig, pathlib; \
	base = sysconfig.get_path('purelib', vars={'base': '$(abspath $(VENV))'}); \
	pathlib.Path(site.getsitepackages()[0], 'medlab-venv.pth').write_text( \
	    f'import site; site.addsitedir({base!r})\n')"
	$(ITK_VENV)/bin/python -m pip install --quiet "itkwidgets[lab]==1.0a55" "ngff-zarr<0.33"
	$(ITK_VENV)/bin/python -c "import itkwidgets, medlab.widgets, ipyniivue"
	$(ITK_VENV)/bin/python -m pytest -p no:cacheprovider tests/widgets/test_volume_viewer.py \
	  -k "itk" -rs --durations=5

test-wheel: install
	VENV=$(abspath $(VENV)) bash tests/wheel/run.sh

bench: install
	$(BIN)/python tests/benchmarks/bench_core.py
	$(BIN)/python tests/benchmarks/bench_widgets.py
	$(BIN)/python tests/benchmarks/bench_surgery.py
	$(BIN)/python tests/benchmarks/time_lessons.py

clean:
	rm -rf $(VENV) build dist medlab/labextension extension/lib extension/node_modules \
	  tests/browser/node_modules tests/artifacts
