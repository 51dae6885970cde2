"""Binary wheels of xlpkg's dependencies for another platform and Python, via pip.

Used by the LibreOffice extension (dependencies unpacked into its ``pythonpath/``) and by the
offline kit for Windows Excel. Downloads are cached in a folder (``.cache/wheels`` in the
repository, or ``XLPKG_WHEEL_CACHE``) and reused: a second build resolves from the cache
without the network, and only asks PyPI when the cache cannot satisfy the requirements.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["WheelError", "runtime_requirements", "download", "cache_dir", "linux_platforms"]


class WheelError(RuntimeError):
    """pip could not get the wheels (message in Chinese, with pip's own output)."""


def runtime_requirements(dist: str = "xlpkg") -> list[str]:
    """The install_requires of an installed distribution (no extras)."""
    reqs = metadata.requires(dist) or []
    return [r for r in reqs if "extra ==" not in r]


def cache_dir() -> Path:
    env = os.environ.get("XLPKG_WHEEL_CACHE")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    if (repo / "setup.cfg").is_file():
        return repo / ".cache" / "wheels"
    return Path.home() / ".cache" / "xlpkg" / "wheels"


def linux_platforms(glibc: tuple[int, int] | None = None, arch: str = "x86_64") -> list[str]:
    """pip --platform tags a glibc Linux accepts: manylinux_2_17 … manylinux_2_<glibc>."""
    if glibc is None:
        found = re.match(r"glibc (\d+)\.(\d+)", os.confstr("CS_GNU_LIBC_VERSION") or "")
        glibc = (int(found[1]), int(found[2])) if found else (2, 17)
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(17, glibc[1] + 1)]
    return tags + [f"manylinux2014_{arch}", f"linux_{arch}"]


def _pip(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


def _platform_args(platforms: list[str], python_version: str) -> list[str]:
    args = ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp",
            "--disable-pip-version-check"]
    for tag in platforms:
        args += ["--platform", tag]
    return args


def download(requirements: list[str], dest: Path, *, platforms: list[str], python_version: str,
             find_links: list[Path] = ()) -> list[Path]:
    """Wheels for ``requirements`` and all their dependencies into ``dest``, for the given
    platform tags and Python version ("3.11"). Tries the cache alone first (offline), then
    PyPI. Returns the wheels that an install from ``dest`` uses (see :func:`resolve`)."""
    dest.mkdir(parents=True, exist_ok=True)
    common = ["download", *_platform_args(platforms, python_version), "-d", str(dest)]
    links = [dest, *find_links]
    proc = _pip(common + ["--no-index"] + _links(links) + requirements)
    if proc.returncode != 0:
        proc = _pip(common + _links(find_links) + requirements)
    if proc.returncode != 0:
        raise WheelError(f"无法下载 Python {python_version}（{platforms[0]}）的依赖包：\n"
                         f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return resolve(requirements, links, platforms=platforms, python_version=python_version)


def _links(folders) -> list[str]:
    return [a for folder in folders for a in ("--find-links", str(folder))]


def resolve(requirements: list[str], folders: list[Path], *, platforms: list[str],
            python_version: str) -> list[Path]:
    """What ``pip install --no-index --find-links <folders>`` would install for that platform
    and Python: the proof that the folders are complete. Raises WheelError if they are not."""
    import json
    import tempfile
    with tempfile.TemporaryDirectory(prefix="xlpkg-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        proc = _pip(["install", "--dry-run", "--ignore-installed", "--no-index", *_links(folders),
                     *_platform_args(platforms, python_version), "--target", str(Path(tmp) / "t"),
                     "--report", str(report), "--quiet", *requirements])
        if proc.returncode != 0 or not report.is_file():
            raise WheelError(f"离线安装包不完整（Python {python_version}，{platforms[0]}）：\n"
                             f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
        data = json.loads(report.read_text("utf-8"))
    from urllib.parse import unquote, urlparse
    return [Path(unquote(urlparse(item["download_info"]["url"]).path)) for item in data["install"]]
