"""TextGrad 0.1.8's public surface, read from the real package in a cached throwaway venv.

The surface is every public class and function a TextGrad module defines, every name a
package ``__init__`` re-exports from its own submodules, and aliases of those (``TGD``), each
at its import path. Names a module merely imports from elsewhere are not part of it.

Run ``python tests/unit/textgrad_surface.py`` to print how much of it ``tg_core`` has.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

SPEC = "textgrad==0.1.8"
REPO = Path(__file__).resolve().parents[2]
BENCH_VENV = REPO / "benchmarks" / ".venv-textgrad"
MARKER = ".installed-" + SPEC


class SurfaceUnavailable(RuntimeError):
    """TextGrad 0.1.8 could not be installed (no index reachable)."""


def cache_dir() -> Path:
    """Where the throwaway venv lives across runs (outside the repository)."""
    env = os.environ.get("TG_TEXTGRAD_SURFACE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "tg_core" / "textgrad-0.1.8-surface"


def _package_in(venv: Path) -> Path | None:
    found = sorted(venv.glob("lib/python*/site-packages/textgrad/__init__.py"))
    return found[0].parent if found else None


def textgrad_package() -> Path:
    """The folder of TextGrad 0.1.8's package, installing it into a cached venv if needed.

    Reuses the benchmarks' TextGrad venv when it exists; otherwise creates its own venv
    (``--without-pip``) and installs the one wheel with ``--no-deps`` (the source is read,
    never imported, so no dependency is needed).

    Raises:
        SurfaceUnavailable: pip could not install TextGrad (no package index reachable).
    """
    for venv in (BENCH_VENV, cache_dir() / "venv"):
        package = _package_in(venv)
        if package is not None and (venv is BENCH_VENV or (venv / MARKER).exists()):
            return package
    venv = cache_dir() / "venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            check=True,
            capture_output=True,
        )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-compile",
            SPEC,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    package = _package_in(venv)
    if done.returncode != 0 or package is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SurfaceUnavailable(f"pip could not install {SPEC}: {tail[0]}")
    (venv / MARKER).write_text(SPEC + "\n")
    return package


def _module_name(package: Path, file: Path) -> str:
    parts = list(file.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _reexports(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """Names a package ``__init__`` imports from its own subtree."""
    if not is_package:
        return []
    if node.level == 1:
        source_ok = True
    elif node.level == 0 and node.module:
        source_ok = node.module.startswith(module + ".")
    else:
        source_ok = False
    return [a.asname or a.name for a in node.names] if source_ok else []


def public_surface(package: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for every public name of the package at ``package``, sorted."""
    surface: set[tuple[str, str]] = set()
    for file in sorted(package.rglob("*.py")):
        module = _module_name(package, file)
        is_package = file.name == "__init__.py"
        names: set[str] = set()
        for node in ast.parse(file.read_text("utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.ImportFrom):
                names.update(_reexports(node, module, is_package))
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Name)
                and node.value.id in names
            ):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        surface.update((module, n) for n in names if not n.startswith("_"))
    return sorted(surface)


def missing(surface: list[tuple[str, str]], root: str = "tg_core") -> list[str]:
    """``module.name`` of every surface name that ``root`` (for ``textgrad``) lacks."""
    absent = []
    for module, name in surface:
        target = root + module[len("textgrad") :]
        try:
            found = importlib.import_module(target)
        except ImportError:
            absent.append(f"{target}.{name}")
            continue
        if not hasattr(found, name):
            absent.append(f"{target}.{name}")
    return absent


def main() -> int:
    """Print the share of TextGrad's surface that tg_core has, and what it lacks."""
    surface = public_surface(textgrad_package())
    absent = missing(surface)
    print(f"tg_core has {len(surface) - len(absent)} of {len(surface)} public TextGrad names")
    for name in absent:
        print("  missing:", name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
