"""The real `vercel build` on a throw-away copy of the repo, as Vercel's build servers run it
(bytecode included: the README asks for VERCEL_PYTHON_COMPILEALL=1). Unlinked, so no Vercel account
or project is needed; not offline: the build installs the functions' packages from PyPI (or uv's cache).
Used by the deploy test and by the cold-start benchmark, which runs the functions it built."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from devtools import ROOT

# dist/ too: the build must make the site itself, as it does on Vercel.
NOT_COPIED = {".git", ".vercel", ".venv", "node_modules", "dist", "test-artifacts", ".pytest_cache", ".hypothesis"}


class BuildFailed(Exception):
    pass


def vercel_build(project: Path) -> Path:
    """Copies the repo to `project` (which must not exist), builds it, and returns .vercel/output."""
    shutil.copytree(ROOT, project, ignore=lambda folder, names: [n for n in names if n in NOT_COPIED])
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    # A developer's secrets lie around in a real checkout; none may ship.
    (project / ".env").write_text("ABLY_API_KEY=leak.check:do-not-ship\n")
    (project / ".vercel").mkdir()
    # Settings present means `vercel build` does not try to link to a cloud project.
    (project / ".vercel" / "project.json").write_text(json.dumps({"settings": {"framework": None}}))
    tools = [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin")]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([*tools, os.environ["PATH"]]),
        "VERCEL_TELEMETRY_DISABLED": "1",
        "VERCEL_PYTHON_COMPILEALL": "1",
    }
    result = subprocess.run(
        ["vercel", "build", "--yes"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    output = project / ".vercel" / "output"
    # Unlinked and without settings, `vercel build` may exit 0 having built nothing.
    if result.returncode != 0 or not (output / "config.json").exists():
        raise BuildFailed(result.stdout + result.stderr)
    return output


def function_dirs(output: Path) -> dict[str, Path]:
    """ "api/sendMessage" -> its .func folder."""
    functions = output / "functions"
    return {str(path.relative_to(functions)).removesuffix(".func"): path for path in functions.rglob("*.func")}


def bundled_files(function_dir: Path) -> dict[str, Path]:
    """Path in the function's bundle -> the file it is made from (local builds copy nothing)."""
    project = next(folder for folder in function_dir.parents if folder.name == ".vercel").parent
    file_map = json.loads((function_dir / ".vc-config.json").read_text())["filePathMap"]
    return {bundled: project / source for bundled, source in file_map.items()}


def build_python(output: Path) -> Path:
    """The interpreter of the environment the build installed the functions' packages into."""
    return output.parents[1] / ".vercel" / "python" / ".venv" / "bin" / "python"
