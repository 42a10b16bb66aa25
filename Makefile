# 北疆数字经济监测 — two commands: `make run` (set up, build the demo warehouse, serve) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Debian packages the tests and reports need: a headless browser (dashboard tests, chart images),
# CJK fonts (Chinese in charts and PDFs) and poppler (reading PDFs back in tests).
APT_PACKAGES := chromium fonts-noto-cjk poppler-utils

.PHONY: setup system-packages run demo test bench lint clean constraints wheel

setup: system-packages $(STAMP)

# constraints.txt: the exact versions the tests ran against (make constraints rewrites it from .venv)
$(STAMP): pyproject.toml setup.py constraints.txt
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

constraints: $(STAMP)
	$(BIN)/python .ci/constraints.py > constraints.txt.new && mv constraints.txt.new constraints.txt
	@touch $(STAMP)

wheel: setup
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation -w dist .

system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing. Run:  sudo apt-get install -y $(APT_PACKAGES)"; exit 1; \
	  fi; \
	fi

demo: setup
	$(BIN)/dem demo build

run: setup
	@test -f data/warehouse/dem.public.duckdb || $(BIN)/dem demo build
	$(BIN)/dem serve

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python tests/benchmarks/run.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf data/warehouse data/inbox data/archive data/quarantine data/exports data/logs data/demo test-artifacts build dist
