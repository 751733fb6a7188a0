# Two commands set everything up from this file and pyproject.toml:
#   make demo   creates .venv, then judges a sample file on HumanEval+ (offline with a data dir)
#   make test   creates .venv with the test extras, then runs the test suite
#
# The venv is built from the system interpreter when there is one: the sandbox drops to a
# dedicated uid when run as root, and that uid must be able to read the interpreter
# (pyenv's lives under /root, mode 0700).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
PY := $(VENV)/bin/python
# Offline benchmark data: ../shared/datasets when it exists (tests and CI), else download on use.
export CRUCIBLE_DATA_DIR ?= $(abspath $(wildcard ../shared/datasets))

.PHONY: demo test venv clean

$(PY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(PY)

venv: $(PY)

demo: $(PY)
	$(VENV)/bin/crucible doctor
	$(VENV)/bin/crucible benchmarks
	$(PY) examples/make_samples.py --out examples/out/humaneval-mix.jsonl
	$(VENV)/bin/crucible eval examples/out/humaneval-mix.jsonl -b humaneval+ --store examples/out/demo.db \
	    --summary examples/out/summary.json --details examples/out/verdicts.jsonl

test: $(PY)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) examples/out
