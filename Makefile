# make demo: the toolkit's main job on the seed's projects (forms, summary, Word documents). make test: the whole test suite.
# Both work from a clean clone: they create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out/demo
STAMP := $(VENV)/.installed

.PHONY: demo test venv system-deps clean templates bench extension kit docs-images

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# LibreOffice recalculates the templates in the tests, PostgreSQL serves the history tests;
# install them when missing (Debian, root).
system-deps:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 || ! dpkg -s libreoffice-writer-nogui libreoffice-dev postgresql >/dev/null 2>&1 || ! /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then \
	  echo "Installing LibreOffice (libreoffice-calc-nogui, fonts-noto-cjk, python3-uno) and PostgreSQL (the history tests' server)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    libreoffice-calc-nogui libreoffice-writer-nogui libreoffice-dev fonts-noto-cjk python3-uno poppler-utils postgresql >/dev/null; \
	fi

# The LibreOffice extension and the Windows offline kit; wheels are cached in .cache/wheels.
extension: venv system-deps
	$(VENV)/bin/xlpkg extension build -o dist/xlpkg.oxt

kit: venv
	$(VENV)/bin/xlpkg kit build --platform win_amd64 -o dist/xlpkg-kit.zip

test: venv system-deps extension kit
	XLPKG_REQUIRE_LIBREOFFICE=1 XLPKG_REQUIRE_POSTGRES=1 $(PY) -m pytest -q

demo: venv
	@mkdir -p $(OUT)/项目表
	$(VENV)/bin/xlpkg check examples/*.json
	$(VENV)/bin/xlpkg score examples/*.json
	for f in examples/*.json; do $(VENV)/bin/xlpkg fill $$f -o $(OUT)/项目表/$$(basename $$f .json).xlsx || exit 1; done
	$(VENV)/bin/xlpkg validate $(OUT)/项目表/*.xlsx
	$(VENV)/bin/xlpkg consolidate $(OUT)/项目表 -o $(OUT)/部门汇总.xlsx --dept-info examples/departments/105002.json \
		--dept-forms $(OUT)/部门整体绩效表
	$(VENV)/bin/xlpkg publish $(OUT)/项目表 --dept-info examples/departments/105002.json -o $(OUT)/绩效目标公开.docx
	$(VENV)/bin/xlpkg report $(OUT)/项目表/*.xlsx -o $(OUT)/自评报告

# The manuals' screenshots, rendered from the real templates through LibreOffice (commit the PNGs).
docs-images: venv system-deps
	$(PY) docs/images/make_images.py

bench: venv
	$(PY) benchmarks/consolidate.py 1000

clean:
	rm -rf $(VENV) out
