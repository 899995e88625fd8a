"""matcher/ and web/ type-check and the tree is lint-clean: mypy and ruff must accept them (kept by the suite)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _installed(tool):
    return shutil.which(tool) is not None or (Path(sys.executable).parent / tool).exists()


@pytest.mark.slow
@pytest.mark.skipif(not _installed("mypy"), reason="mypy is a dev extra")
def test_matcher_and_web_type_check():
    done = subprocess.run([sys.executable, "-m", "mypy", "matcher", "web"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.skipif(not _installed("ruff"), reason="ruff is a dev extra")
def test_ruff_passes():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_matcher_imports_nothing_from_flask_or_web():
    for path in (ROOT / "matcher").glob("*.py"):
        text = path.read_text("utf-8")
        for banned in ("import flask", "from flask", "sqlalchemy", "from web", "import web"):
            assert banned not in text, f"{path.name} mentions {banned!r}"
