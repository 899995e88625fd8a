"""matcher/ is typed: mypy must accept it (the style guide's promise, kept by the suite)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None and not (Path(sys.executable).parent / "mypy").exists(),
                    reason="mypy is a dev extra")
def test_matcher_type_checks():
    done = subprocess.run([sys.executable, "-m", "mypy", "matcher"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_matcher_imports_nothing_from_flask_or_web():
    for path in (ROOT / "matcher").glob("*.py"):
        text = path.read_text("utf-8")
        for banned in ("import flask", "from flask", "sqlalchemy", "from web", "import web"):
            assert banned not in text, f"{path.name} mentions {banned!r}"
