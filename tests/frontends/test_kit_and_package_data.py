"""The offline kit for Windows Excel is complete, and a built wheel finds its data anywhere."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT
from xlpkg.delivery.kit import REQUIREMENT, SUPPORTED_PYTHONS


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kit") / "xlpkg-kit.zip"
    proc = subprocess.run([sys.executable, "-m", "xlpkg", "kit", "build", "--platform", "win_amd64",
                           "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_the_kit_has_the_add_in_templates_guide_and_installer(kit):
    with zipfile.ZipFile(kit) as z:
        names = z.namelist()
        bat = z.read("install.bat").decode("utf-8")
        guide = z.read("IT安装指南.md").decode("utf-8")
    assert len(names) == len(set(names))
    assert {"xlpkg.xlam", "IT安装指南.md", "install.bat", "templates/项目绩效目标表.xlsx",
            "templates/部门汇总表.xlsx"} <= set(names)
    assert any(n.startswith("wheels/xlpkg-") for n in names)
    assert "--no-index" in bat and "wheels" in bat and "addin install" in bat
    assert "信任对 VBA 工程对象模型的访问" not in guide and "Import Functions" not in guide


@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_the_kit_installs_offline_for_each_python(kit, tmp_path, version):
    """pip, with no index, from the kit's wheels alone, for a Windows PC."""
    with zipfile.ZipFile(kit) as z:
        z.extractall(tmp_path / "kit")
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--no-index", "--find-links", str(tmp_path / "kit" / "wheels"),
                           "--platform", "win_amd64", "--only-binary=:all:", "--python-version", version,
                           "--target", str(tmp_path / "t"), "--report", str(report), REQUIREMENT],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    installed = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert {"xlpkg", "xlwings", "pandas", "numpy", "openpyxl", "jsonschema", "python-calamine"} <= installed


def test_a_wheel_installed_with_target_finds_its_rules_and_schemas_elsewhere(tmp_path):
    """importlib.resources, not <prefix>/share: rules.json and the schemas travel in the wheel."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(tmp_path / "w"), str(ROOT)], check=True)
    (wheel,) = (tmp_path / "w").glob("xlpkg-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert {"xlpkg/data/rules.json", "xlpkg/data/macros/xlpkg.bas", "xlpkg/schemas/project.schema.json",
            "xlpkg/libreoffice/oxt/xlpkg_component.py"} <= names
    assert not any(".data/data/" in n for n in names)   # no data_files any more
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target",
                    str(tmp_path / "site"), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import xlpkg, json; from xlpkg.rules import default_rules_path, load_rules; "
            "from xlpkg.delivery.addin import default_macros_dir; "
            "print(json.dumps([str(default_rules_path()), load_rules().grade(95), str(default_macros_dir()), "
            "xlpkg.load_project(%r).code]))" % str(ROOT / "examples" / "105002B16DX0003.json"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert out.returncode == 0, out.stderr
    rules_path, grade, macros, code_ = json.loads(out.stdout)
    assert Path(rules_path) == tmp_path / "site" / "xlpkg" / "data" / "rules.json"
    assert Path(rules_path).read_bytes() == (ROOT / "rules.json").read_bytes()
    assert Path(macros) == tmp_path / "site" / "xlpkg" / "data" / "macros"
    assert (grade, code_) == ("优", "105002B16DX0003")
