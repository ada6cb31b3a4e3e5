# Two commands do everything (see README): `make book` and `make test`.
# Each bootstraps what it needs: a .venv from requirements.txt, the vendored browser libraries
# from the npm registry, and (for tests) Debian's chromium and poppler-utils.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   ?= data/demo
PARAMETERS ?= parameters
FINGERTIPS ?= data/fingertips
OUT    ?= _build
PYTEST_ARGS ?=

.PHONY: book briefs test test-fast plan store-describe demo-data clean test-tools release

book: $(VENV)/.installed node_modules/.installed
	$(PY) -m jsna build --data $(DATA) --parameters $(PARAMETERS) --fingertips $(FINGERTIPS) --out $(OUT)

# Builds only the briefs (every place's printable PDF and Word brief, README "Printable briefs"),
# from the store of the last build in $(OUT), into $(OUT)/html/downloads/briefs/ (make book builds them too).
briefs: $(VENV)/.installed
	$(PY) -m jsna briefs --data $(DATA) --parameters $(PARAMETERS) --out $(OUT)

# Publish the book as an immutable edition of a site folder (README, "Publishing an edition"):
# make release SITE=DIR [VERSION=2026.1]; VERSION defaults to, and must match, the release in
# parameters/release.yml. The build runs in $(OUT)/release, kept so that the next release reuses it.
SITE    ?=
VERSION ?=
release: $(VENV)/.installed node_modules/.installed
	@test -n "$(SITE)" || { echo "make release needs SITE=DIR, the site folder to publish the edition into"; exit 2; }
	$(PY) -m jsna release --site $(SITE) $(if $(VERSION),--version $(VERSION)) --data $(DATA) --parameters $(PARAMETERS) --fingertips $(FINGERTIPS) --work $(OUT)/release

# Review the working tree's change against a git reference (CONTRIBUTING.md): builds both, writes
# $(OUT)/review/review.md and review.html; exits non-zero when a check fails.
BASE ?=
review: $(VENV)/.installed node_modules/.installed
	@test -n "$(BASE)" || { echo "make review needs BASE=REF, the git reference to compare with (for example BASE=origin/main)"; exit 2; }
	$(PY) -m jsna review --base $(BASE) --out $(OUT)/review

test: $(VENV)/.installed node_modules/.installed test-tools
	$(PY) -m pytest $(PYTEST_ARGS)

# The unit tests alone: no build of the demonstration store, no notebooks, no browser (about a
# minute on two cores). `make test` runs everything.
test-fast: $(VENV)/.installed test-tools
	$(PY) -m pytest -n 2 -m "not slow and not smoke and not browser" $(PYTEST_ARGS)

plan: $(VENV)/.installed
	$(PY) -m jsna plan --data $(DATA) --parameters $(PARAMETERS)

# What the store holds: every table, its key, producer, download and columns.
store-describe: $(VENV)/.installed
	$(PY) -m jsna store describe

# Regenerate the committed demonstration data (deterministic: same bytes every time).
demo-data: $(VENV)/.installed
	$(PY) scripts/make_demo_data.py --out data/demo

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's chromium (Playwright's own browser download needs the internet);
# the brief tests read PDFs with poppler-utils (pdfinfo, pdftotext). Installed when missing.
test-tools:
	@command -v chromium >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and poppler-utils for the tests"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO="sudo -n"; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation poppler-utils >/dev/null; }

clean:
	rm -rf $(OUT)
