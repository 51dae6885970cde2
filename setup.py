"""Build hook only (metadata is in setup.cfg): copy the repository's data files into the package.

rules.json and macros/ live at the repository root, where maintainers edit them; a wheel must
carry them inside the package (xlpkg/data/) so importlib.resources finds them wherever the
wheel is installed. They are copied into the build directory, never into the source tree.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = {"rules.json": "rules.json", "macros/xlpkg.bas": "macros/xlpkg.bas",
        "macros/customUI14.xml": "macros/customUI14.xml"}


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        for source, target in DATA.items():
            dest = Path(self.build_lib) / "xlpkg" / "data" / target
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / source, dest)


setup(cmdclass={"build_py": BuildPyWithData})
