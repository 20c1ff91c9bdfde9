"""The TextGrad 0.1.8 virtual environment: reused when current, else created and installed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-textgrad"
REQUIREMENTS = HERE / "textgrad-requirements.txt"
MARKER = "bench-requirements.sha256"
FULL_SPEC = "textgrad==0.1.8"
SMOKE = (
    "import textgrad, diskcache, openai; "
    "from textgrad.engine.local_model_openai_api import ChatExternalClient; "
    "openai.OpenAI(base_url='http://127.0.0.1:9/v1', api_key='x'); "
    "assert textgrad.__version__ == '0.1.8'"
)


@dataclass
class TextGradEnv:
    """Where TextGrad's interpreter is and how it got there.

    Attributes:
        python: the venv's interpreter.
        created: True when this call created or reinstalled the venv.
        install_s: seconds spent creating and installing (0 when reused).
        mode: ``lean`` (pinned list, ``--no-deps``), ``full`` (pip resolves every
            dependency) or ``reused``.
    """

    python: Path
    created: bool
    install_s: float
    mode: str


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _smoke(python: Path, work: Path) -> bool:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "TEXTGRAD_LOG_DIR": str(work)}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(python), "-c", SMOKE], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    return done.returncode == 0


def _pip(python: Path, *args: str) -> None:
    """Install into ``python``'s venv with this interpreter's pip (``pip --python``)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"pip failed ({' '.join(args)}):\n{done.stderr[-3000:]}")


def ensure_textgrad_env(work: Path, *, full: bool = False, log: bool = True) -> TextGradEnv:
    """Reuse ``benchmarks/.venv-textgrad`` if it matches the pinned list, else build it.

    The lean install puts TextGrad 0.1.8 and exactly the pinned packages its import and the
    drivers use (no datasets, pandas, pyarrow, gdown, boto3 ...) with ``--no-deps``; if that
    environment fails the smoke import, or ``full`` is set, pip resolves TextGrad's full
    dependency list instead.
    """
    python = _python(VENV)
    marker = VENV / MARKER
    wanted = "full" if full else _digest()
    if python.exists() and marker.exists() and marker.read_text().strip() in (wanted, "full"):
        return TextGradEnv(python, False, 0.0, "reused")
    if log:
        print(f"creating {VENV.name} (TextGrad 0.1.8) ...", flush=True)
    started = time.perf_counter()
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
    mode = "full"
    if not full:
        _pip(python, "--no-deps", "--no-compile", "-r", str(REQUIREMENTS))
        mode = "lean"
        if not _smoke(python, work):
            if log:
                print("lean install failed the smoke import; installing all dependencies")
            mode, wanted = "full", "full"
    if mode == "full":
        _pip(python, "--no-compile", FULL_SPEC)
        if not _smoke(python, work):
            raise RuntimeError(f"TextGrad does not import in {VENV}")
    marker.write_text(wanted + "\n")
    return TextGradEnv(python, True, time.perf_counter() - started, mode)
