"""The layout's rules hold, and breaking one fails the build (docs/architecture.md).

`make lint` runs import-linter with the contracts in pyproject.toml; these tests prove the
contracts bite by linting a copy of the code with one forbidden import added.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "intake", "rights")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 400


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copied_tree(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(module_file: Path, statement: str) -> None:
    module_file.write_text(module_file.read_text() + f"\n{statement}  # noqa\n")


def test_the_code_keeps_every_import_contract(copied_tree: Path) -> None:
    result = lint_imports(copied_tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        (
            "intake/survivor/sharing.py",
            "from intake.caseworker import urls",
            "survivor and caseworker pages never import each other",
        ),
        (
            "intake/caseworker/urls.py",
            "from intake.survivor import sharing",
            "survivor and caseworker pages never import each other",
        ),
        (
            "portal/views.py",
            "import intake.models",
            "portal is the base: it imports nothing from intake or rights",
        ),
        (
            "rights/views.py",
            "from intake import models",
            "rights (public explainers) imports nothing from intake (case data)",
        ),
        (
            "intake/crypto/items.py",
            "from intake import models",
            "crypto stands alone: it knows no database, view or setting",
        ),
        (
            "intake/survivor/returning.py",
            "from intake.crypto import unwrapping",
            "only the access door, grants and placement unwrap case keys",
        ),
        (
            "intake/actions/casework.py",
            "from intake import tasks",
            "actions enqueue tasks by name: they never import routing or tasks",
        ),
    ],
)
def test_a_forbidden_import_fails_the_lint(
    copied_tree: Path, module: str, statement: str, contract: str
) -> None:
    add_import(copied_tree / module, statement)
    result = lint_imports(copied_tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout


def test_raw_aes_gcm_is_used_in_intake_crypto_only() -> None:
    """Session halves, TOTP secrets and case items are all sealed through intake/crypto/, so
    their formats are versioned in one place."""
    users = {
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "AESGCM" in path.read_text()
    }
    assert users
    assert {user for user in users if not user.startswith("intake/crypto/")} == set()


def test_no_module_in_intake_is_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "intake").rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}
