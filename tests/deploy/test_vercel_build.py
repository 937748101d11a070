"""Deploy readiness: the real `vercel build` on a throw-away copy of the repo, offline and unlinked."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.functions import ROOT

NOT_COPIED = {".git", ".vercel", ".venv", "node_modules", "test-artifacts", ".pytest_cache", ".hypothesis"}
FUNCTIONS = {"api/sendMessage", "api/ably/auth"}


@pytest.fixture(scope="module")
def build_output(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("deploy") / "project"
    shutil.copytree(ROOT, project, ignore=lambda folder, names: [n for n in names if n in NOT_COPIED])
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    # A developer's secrets and test files lie around in a real checkout; none may ship.
    (project / ".env").write_text("ABLY_API_KEY=leak.check:do-not-ship\n")
    (project / ".vercel").mkdir()
    # Settings present means `vercel build` does not try to link to a cloud project.
    (project / ".vercel" / "project.json").write_text(json.dumps({"settings": {"framework": None}}))
    tools = [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin")]
    env = {**os.environ, "PATH": os.pathsep.join([*tools, os.environ["PATH"]]), "VERCEL_TELEMETRY_DISABLED": "1",
           "VERCEL_PYTHON_COMPILEALL": "1"}  # as the README asks of the project's build environment
    result = subprocess.run(["vercel", "build", "--yes"], cwd=project, env=env,
                            capture_output=True, text=True, timeout=600)
    output = project / ".vercel" / "output"
    assert result.returncode == 0 and (output / "config.json").exists(), result.stdout + result.stderr
    return output


def function_dirs(output: Path) -> dict[str, Path]:
    functions = output / "functions"
    return {str(path.relative_to(functions)).removesuffix(".func"): path for path in functions.rglob("*.func")}


def test_exactly_the_two_functions_are_built(build_output):
    assert set(function_dirs(build_output)) == FUNCTIONS


def test_functions_run_python_312_with_the_module_level_app(build_output):
    for name, path in function_dirs(build_output).items():
        vc_config = json.loads((path / ".vc-config.json").read_text())
        assert vc_config["runtime"] == "python3.12"
        assert vc_config["handler"] == "vc__handler__python.vc_handler"
        trampoline = (path / "vc__handler__python.py").read_text()
        assert f"{name}.py" in trampoline and '"app"' in trampoline.replace("'", '"')


def test_bundles_hold_the_runtime_dependencies_and_nothing_dev_only(build_output):
    for path in function_dirs(build_output).values():
        files = set(json.loads((path / ".vc-config.json").read_text())["filePathMap"])
        for needed in ("_vendor/flask/__init__.py", "_vendor/ably/__init__.py", "_vendor/dotenv/__init__.py",
                       "chat/config.py", "api/sendMessage.py", "api/ably/auth.py"):
            assert needed in files
        forbidden = [f for f in files if f == ".env" or f.startswith((
            "tests/", "emulator/", "scripts/", ".env", "_vendor/_pytest/", "_vendor/pytest/",
            "_vendor/aiohttp/", "_vendor/hypothesis/", "_vendor/playwright/"))]
        assert forbidden == []


def test_bundles_ship_precompiled_bytecode(build_output):
    """Functions run with PYTHONDONTWRITEBYTECODE=1: without bytecode in the bundle, every cold start
    compiles Flask and the Ably SDK from source (bench/results.md measures the cost)."""
    for path in function_dirs(build_output).values():
        files = json.loads((path / ".vc-config.json").read_text())["filePathMap"]
        compiled = {f.split("/__pycache__/")[0].rsplit("/", 1)[-1] for f in files if f.endswith(".pyc")}
        assert {"chat", "flask", "ably"} <= compiled


def test_static_site_and_security_headers(build_output):
    static = build_output / "static"
    assert (static / "index.html").exists()
    assert any((static / "vendor").iterdir()), "the Ably SDK bundle is built into public/vendor"
    assert not (static / "requirements.txt").exists()
    config = json.loads((build_output / "config.json").read_text())
    assert config["version"] == 3
    headers = json.dumps(config["routes"])
    for expected in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "no-store"):
        assert expected in headers
