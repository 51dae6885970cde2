"""``xlpkg kit build``: an offline install kit for Windows Excel.

The zip holds everything an IT person needs on a PC without a network:

* ``wheels/``: xlpkg's own wheel and the Windows wheels of every dependency (xlwings
  included) for each supported Python version (``SUPPORTED_PYTHONS``);
* ``xlpkg.xlam``: the add-in (ribbon, VBA with the UDF wrappers, xlwings config);
* ``templates/``: the blank project form and the department summary workbench;
* ``IT安装指南.md`` and ``install.bat``, which installs from ``wheels/`` with ``--no-index``
  and puts the add-in where Excel loads it.

Completeness is checked before the zip is written: for every supported Python version,
``pip install --dry-run --no-index --find-links wheels/`` must resolve ``xlpkg[excel]``.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..system.safeio import atomic_write
from .wheels import WheelError, cache_dir, download, resolve, runtime_requirements
from .addin import build_addin

__all__ = ["KitError", "SUPPORTED_PYTHONS", "build_kit", "INSTALL_BAT", "REQUIREMENT"]

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12")
REQUIREMENT = "xlpkg[excel]"
_REPO = Path(__file__).resolve().parents[2]

INSTALL_BAT = r"""@echo off
rem xlpkg offline install (no network needed): Python packages from wheels\, then the add-in.
chcp 65001 >nul
setlocal
set KIT=%~dp0
set PY=py -3
%PY% -c "import sys; assert sys.version_info[:2] in [{versions}]" 2>nul
if errorlevel 1 (
  echo 未找到受支持的 Python（{names}，64 位）。请先安装 Python，再运行本脚本。
  exit /b 1
)
%PY% -m pip install --no-index --find-links "%KIT%wheels" --user --upgrade "{requirement}"
if errorlevel 1 (
  echo 安装 Python 包失败，请把以上信息告知信息技术人员。
  exit /b 1
)
%PY% -m xlpkg addin install "%KIT%xlpkg.xlam"
if errorlevel 1 exit /b 1
echo 安装完成。请重新启动 Excel，功能区应出现“绩效管理”选项卡。
endlocal
"""


class KitError(RuntimeError):
    """The kit cannot be built (message in Chinese)."""


def _own_wheel(dest: Path) -> Path:
    if not (_REPO / "setup.cfg").is_file():
        raise KitError("只能在 xlpkg 源代码目录中生成离线安装包（需要用源代码构建 xlpkg 的 wheel）")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                           "--disable-pip-version-check", "-w", str(dest), str(_REPO)],
                          capture_output=True, text=True)
    wheels = sorted(dest.glob("xlpkg-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise KitError(f"构建 xlpkg 的 wheel 失败：{proc.stderr[-1500:]}")
    return wheels[-1]


def build_kit(output: str | Path, *, platform: str = "win_amd64",
              pythons: tuple[str, ...] = SUPPORTED_PYTHONS) -> tuple[Path, dict[str, list[Path]]]:
    """Write the kit; returns (path, {python version: wheels an install uses})."""
    if platform != "win_amd64":
        raise KitError(f"离线安装包只支持 win_amd64（Windows 版 Excel），不支持 {platform}")
    requirements = runtime_requirements() + ["xlwings>=0.33"]
    with tempfile.TemporaryDirectory(prefix="xlpkg-kit-") as tmp:
        tmp = Path(tmp)
        own = _own_wheel(tmp / "own")
        chosen: dict[str, list[Path]] = {}
        try:
            for version in pythons:
                download(requirements, cache_dir() / f"{platform}-{version}", platforms=[platform],
                         python_version=version)
                folders = [cache_dir() / f"{platform}-{version}", own.parent]
                chosen[version] = resolve([REQUIREMENT], folders, platforms=[platform],
                                          python_version=version)
        except WheelError as exc:
            raise KitError(str(exc)) from exc
        addin = build_addin(tmp / "xlpkg.xlam")
        # pure-Python wheels appear once per version's cache: one copy each
        wheels = sorted({w.name: w for ws in chosen.values() for w in ws}.values(), key=lambda p: p.name)
        bat = INSTALL_BAT.format(versions=", ".join(f"({v.replace('.', ', ')})" for v in pythons),
                                 names="、".join(pythons), requirement=REQUIREMENT)

        def write(path: Path) -> None:
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                for wheel in wheels:
                    z.write(wheel, f"wheels/{wheel.name}")
                z.write(addin, "xlpkg.xlam")
                for template in sorted((_REPO / "workbook_templates").glob("*.xlsx")):
                    z.write(template, f"templates/{template.name}")
                z.write(_REPO / "docs" / "IT安装指南.md", "IT安装指南.md")
                z.writestr("install.bat", bat.replace("\n", "\r\n").encode("utf-8"))

        Path(output).parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(output, write), chosen
