"""The import rules of the layers (docs/design.md): http -> services -> data, with matcher beside.

- `matcher` imports nothing from Flask, SQLAlchemy or `web`;
- services (`web/services`, and the Flask-free `web/auth` modules) import no Flask, flask-smorest,
  werkzeug or webargs, no views, and not the request context (`web.auth.context`);
- a view never imports another resource's views; only the app factory and a resource's own
  package (its blueprint) import views at all.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTTP_PACKAGES = ("flask", "flask_smorest", "werkzeug", "webargs", "flask_limiter", "flask_cors")
FLASK_FREE = ("web/services", "web/auth/policy.py", "web/auth/principal.py", "web/auth/audit.py")


def module_name(path):
    """'web/services/people.py' -> 'web.services.people' (a package's __init__ is the package)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path, source=None):
    """Every module a file imports, relative imports resolved, including imports inside functions."""
    tree = ast.parse(source if source is not None else path.read_text("utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # `from . import views`
    return found


def violations(path, source=None):
    """The import rules this file breaks, as readable lines."""
    rel = path.relative_to(ROOT).as_posix()
    name = module_name(path)
    found = imports_of(path, source)
    broken = []
    if rel.startswith("matcher/"):
        broken += [f"{rel} imports {m}" for m in found if m.split(".")[0] in ("flask", "sqlalchemy", "web", *HTTP_PACKAGES)]
    if rel.startswith(FLASK_FREE):
        broken += [f"{rel} (a service) imports {m}" for m in found
                   if m.split(".")[0] in HTTP_PACKAGES or m.endswith(".views") or m == "web.auth.context"]
    for m in found:
        parts = m.split(".")
        if "views" not in parts[2:3] or parts[0] != "web":
            continue
        resource = parts[1]
        own_package = name == f"web.{resource}"
        if not (own_package or name == "web"):
            broken.append(f"{rel} imports the views of {resource}")
    return broken


def sources():
    for top in ("matcher", "web"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_every_module_keeps_the_import_rules():
    broken = [line for path in sources() for line in violations(path)]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("where, source", [
    ("matcher/scoring.py", "from web.models import Volunteer"),
    ("matcher/scoring.py", "import flask"),
    ("web/services/people.py", "from flask import g"),
    ("web/services/people.py", "from ..auth.context import current_principal"),
    ("web/services/people.py", "from ..volunteers.views import blp"),
    ("web/auth/policy.py", "from flask_smorest import abort"),
    ("web/engagement/views.py", "from ..tasks.views import station_task_or_404"),
    ("web/engagement/views.py", "from ..tasks import views"),
    ("web/engagement/views.py", "def f():\n    from web.volunteers.views import blp"),
])
def test_the_rules_catch_each_kind_of_break(where, source):
    assert violations(ROOT / where, source)


def test_the_rules_allow_the_layers_as_designed():
    assert not violations(ROOT / "web/engagement/views.py", "from ..services import engagement\nfrom flask import Response")
    assert not violations(ROOT / "web/services/people.py", "from ..auth import policy\nfrom ..extensions import db")
    assert not violations(ROOT / "web/engagement/__init__.py", "from .views import blp")
