# Two commands do everything on a fresh Debian 12 machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
# chromium: the report test renders the HTML report headless; llvm: llvm-objdump decodes Helium code
SYSTEM_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm chromium llvm
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system-packages demo test clean

setup: system-packages $(VENV)/.installed

# Installs only what is missing, so a second `make setup` does nothing.
system-packages:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "emu setup: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@echo "emu setup: creating $(VENV) with emu and its test extras"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@

demo: setup
	$(VENV)/bin/emu demo

# Lint first (ruff's rules are in pyproject.toml), then the whole suite, a test file per worker on up
# to four cores (a file's expensive fixtures are built once); docs/testing.md runs it in parts.
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -n auto --maxprocesses 4 --dist loadfile

clean:
	rm -rf $(VENV) build reports/demo
