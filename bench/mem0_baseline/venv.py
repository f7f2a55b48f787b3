"""Creates `.venv-mem0` at the repository root (mem0ai 2.2.1 + pymilvus 2.5 + Milvus Lite 2.5.1 + MiniLM).

It cannot share `.venv`: mem0's Milvus adapter needs pymilvus 2.5.x while memgrid runs on pymilvus 3.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".venv-mem0"
HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
RUNNER = HERE / "add_runner.py"
TORCH = "torch==2.13.0"
_MARKER = ".installed"


def python_path(venv_dir: Path = VENV_DIR) -> Path:
    return venv_dir / "bin" / "python"


def ensure_venv(venv_dir: Path = VENV_DIR) -> Path:
    """The venv's python, creating and filling the venv first when it is missing or was left half-installed.

    torch goes in first in its own pip call (the CPU wheel; resolved together with the rest pip picks CUDA).
    """
    marker = venv_dir / _MARKER
    if marker.exists() and marker.read_text().strip() == REQUIREMENTS.read_text().strip():
        return python_path(venv_dir)
    print(f"bench: creating {venv_dir} for the mem0 baseline (a few minutes)", flush=True)
    if not python_path(venv_dir).exists():
        subprocess.run(["python3", "-m", "venv", str(venv_dir)], check=True)
    pip = [str(python_path(venv_dir)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    marker.write_text(REQUIREMENTS.read_text())
    return python_path(venv_dir)


if __name__ == "__main__":
    print(ensure_venv())
    sys.exit(0)
