"""Render the manuals' screenshots from the real templates (``make docs-images``).

The pictures are never drawn by hand: this script builds the blank template, fills the seed's
example projects, consolidates them, converts the workbooks to PDF with LibreOffice and turns the
pages the manuals show into small PNGs beside this file. Run it again after a form changes and
commit the PNGs it writes.

It uses only the ``xlpkg`` command, LibreOffice (``soffice``) and poppler (``pdftoppm`` to draw a
page, ``pdftotext`` to find the page that holds a sheet): the package's modules move between
releases, its command does not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RESOLUTION = 60  # dpi: legible headings, small files

# (workbook, text that opens the page, output name). The page is found by its text, not by
# number, so a sheet that grows by a page does not shift every later picture.
SHOTS = [
    ("blank.xlsx", "项目支出绩效目标申报表", "template_declaration"),
    ("forms/105002B16DX0003.xlsx", "项目支出绩效目标申报表", "form_declaration"),
    ("forms/105002B16DX0003.xlsx", "一级指标", "form_indicators"),
    ("forms/105002B16DX0003.xlsx", "项目支出绩效运行监控表", "form_monitoring"),
    ("forms/105002B16DX0003.xlsx", "项目支出绩效自评表", "form_self_evaluation"),
    ("部门汇总.xlsx", "项目汇总", "summary_projects"),
    ("部门汇总.xlsx", "部门小计", "summary_departments"),
    ("部门汇总.xlsx", "问题清单", "summary_issues"),
    ("部门汇总.xlsx", "汇总说明", "summary_notes"),
    ("部门汇总.xlsx", "部门排名", "bureau_ranking"),
    ("部门汇总.xlsx", "部门对比图", "bureau_chart"),
    ("部门整体绩效表/105002.xlsx", "部门整体支出绩效目标申报表", "department_declaration"),
    ("部门整体绩效表/105002.xlsx", "部门整体支出绩效自评表", "department_self_evaluation"),
]


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, stdout=subprocess.DEVNULL)


def xlpkg_command() -> str:
    # The venv's own command first, so `make docs-images` draws this checkout's forms.
    beside = Path(sys.executable).parent / "xlpkg"
    found = str(beside) if beside.exists() else shutil.which("xlpkg")
    if not found:
        sys.exit("找不到 xlpkg 命令：请先运行 make venv")
    return found


def build_workbooks(xlpkg: str, work: Path) -> None:
    run(xlpkg, "template", "project", "-o", work / "blank.xlsx")
    forms = work / "forms"
    forms.mkdir()
    for example in sorted((REPO / "examples").glob("*.json")):
        run(xlpkg, "fill", example, "-o", forms / f"{example.stem}.xlsx")
    # --bureau: the finance bureau's sheets appear even if the examples shrink to one department.
    run(xlpkg, "consolidate", forms, "-o", work / "部门汇总.xlsx",
        "--dept-info", REPO / "examples" / "departments" / "105002.json",
        "--dept-forms", work / "部门整体绩效表", "--bureau")


def to_pdf(workbook: Path, work: Path) -> Path:
    out = work / "pdf" / workbook.relative_to(work).parent
    out.mkdir(parents=True, exist_ok=True)
    # A fresh profile per run: a user's open LibreOffice or a stale profile cannot interfere.
    profile = (work / "profile").as_uri()
    run("soffice", f"-env:UserInstallation={profile}", "--headless",
        "--convert-to", "pdf", "--outdir", out, workbook)
    return out / f"{workbook.stem}.pdf"


def page_heads(pdf: Path) -> list[str]:
    """The opening characters of every page, spaces removed (pdftotext ends each page with a form feed)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return ["".join(page.split())[:60] for page in text.split("\f")]


def page_with(pdf: Path, heads: list[str], marker: str) -> int:
    # The sheet's title opens its page (after a year, as in "2022年度"); a column heading
    # further down a page of another sheet must not match.
    for number, head in enumerate(heads, start=1):
        if marker in head[:len(marker) + 8]:
            return number
    sys.exit(f"{pdf.name}：找不到以“{marker}”开头的页面，表样是否改了？请更新 make_images.py 的 SHOTS")


def main() -> None:
    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if not shutil.which(tool):
            sys.exit(f"缺少 {tool}：请运行 make system-deps")
    xlpkg = xlpkg_command()
    with tempfile.TemporaryDirectory(prefix="xlpkg-docs-images-") as tmp:
        work = Path(tmp)
        build_workbooks(xlpkg, work)
        pdfs: dict[str, tuple[Path, list[str]]] = {}
        for workbook, marker, name in SHOTS:
            if workbook not in pdfs:
                pdf = to_pdf(work / workbook, work)
                pdfs[workbook] = (pdf, page_heads(pdf))
            pdf, heads = pdfs[workbook]
            page = page_with(pdf, heads, marker)
            run("pdftoppm", "-png", "-r", str(RESOLUTION), "-f", str(page), "-l", str(page),
                "-singlefile", pdf, HERE / name)
            print(f"{name}.png ← {workbook} 第{page}页")


if __name__ == "__main__":
    main()
