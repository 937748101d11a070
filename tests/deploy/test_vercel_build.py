"""Deploy readiness: the real `vercel build` on a throw-away copy of the repo, unlinked from any Vercel
project (it installs the functions' packages from PyPI, so it is not offline)."""

import json
import re
from pathlib import Path

import pytest

from devtools import ROOT
from devtools.vercel_build import function_dirs, vercel_build

FUNCTIONS = {
    "api/sendMessage",
    "api/editMessage",
    "api/deleteMessage",
    "api/react",
    "api/ably/auth",
    "api/session",
    "api/rooms",
}


@pytest.fixture(scope="module")
def build_output(tmp_path_factory) -> Path:
    return vercel_build(tmp_path_factory.mktemp("deploy") / "project")


def test_exactly_the_functions_of_api_are_built(build_output):
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
        # The functions reach Ably through ably-python, with its HTTP client (httpx, HTTP/2) and msgpack.
        for needed in (
            "_vendor/flask/__init__.py",
            "_vendor/dotenv/__init__.py",
            "_vendor/limits/__init__.py",
            "_vendor/redis/__init__.py",
            "_vendor/regex/__init__.py",
            "_vendor/confusable_homoglyphs/confusables.json",
            "_vendor/ably/sync/rest/rest.py",
            "_vendor/httpx/__init__.py",
            "_vendor/h2/__init__.py",
            "_vendor/msgpack/__init__.py",
            "chat/config.py",
            "chat/ably_client.py",
            "api/sendMessage.py",
        ):
            assert needed in files
        forbidden = [
            f
            for f in files
            if f == ".env"
            or f.startswith(
                (
                    "tests/",
                    "emulator/",
                    "scripts/",
                    "bench/",
                    "devtools/",
                    ".env",
                    "dist/",
                    "_vendor/_pytest/",
                    "_vendor/pytest/",
                    "_vendor/aiohttp/",
                    "_vendor/hypothesis/",
                    "_vendor/playwright/",
                )
            )
        ]
        assert forbidden == []


def test_bundles_leave_out_the_builders_own_copy_of_the_packages(build_output):
    """The builder installs the packages into .vercel_python_packages/ as well as _vendor/, and would
    bundle both; functions import from _vendor/ only (PYTHONPATH), so the copy is excluded."""
    project = build_output.parents[1]
    assert any((project / ".vercel_python_packages").rglob("*.py")), "the builder no longer writes the copy"
    for path in function_dirs(build_output).values():
        files = json.loads((path / ".vc-config.json").read_text())["filePathMap"]
        assert [f for f in files if f.startswith(".vercel_python_packages/")] == []
        assert "_vendor" in json.loads((path / ".vc-config.json").read_text())["environment"]["PYTHONPATH"]


def test_bundles_ship_precompiled_bytecode(build_output):
    """Functions run with PYTHONDONTWRITEBYTECODE=1: without bytecode in the bundle, every cold start
    compiles Flask and the rest from source (bench/results.md measures the cost)."""
    for path in function_dirs(build_output).values():
        files = json.loads((path / ".vc-config.json").read_text())["filePathMap"]
        compiled = {f.split("/__pycache__/")[0].rsplit("/", 1)[-1] for f in files if f.endswith(".pyc")}
        assert {"chat", "flask", "ably"} <= compiled


def headers_for(config: dict, path: str) -> dict:
    """The headers the routes in config.json give `path`, up to where the filesystem is served."""
    headers = {}
    for route in config["routes"]:
        if "handle" in route:
            break
        if re.match(route["src"], path) and route.get("continue"):
            headers |= route.get("headers", {})
    return headers


def test_the_site_is_the_built_pages_and_their_hashed_bundles(build_output):
    static = build_output / "static"
    assets = set()
    for page in ("index.html", "room.html"):  # the lobby, and a room
        linked = re.findall(r'(?:src|href)="(/assets/[^"]+)"', (static / page).read_text())
        assert sorted(Path(url).suffix for url in linked) == [".css", ".js"], page
        assets.update(linked)
    # What the room's script loads once it is live (public/js/later/), under hashed names too.
    later = {
        url
        for url in ("/" + str(path.relative_to(static)) for path in (static / "assets").glob("*.js"))
        if Path(url).name.rsplit("-", 1)[0] in {source.stem for source in (ROOT / "public/js/later").glob("*.js")}
    }
    scripts = [url for url in assets | later if url.endswith(".js")]
    shipped = {"/" + str(path.relative_to(static)) for path in static.rglob("*") if path.is_file()}
    licences = {url + ".LEGAL.txt" for url in scripts} & shipped  # ably-js's licence, beside the bundle holding it
    assert licences, "ably-js's licence ships"
    expected = {"/index.html", "/room.html", "/404.html", *assets, *later, *licences}
    assert shipped == expected | {url + ".map" for url in assets | later}, "no loose modules or sources"


def test_security_headers_everywhere_and_long_caching_for_hashed_files_only(build_output):
    config = json.loads((build_output / "config.json").read_text())
    assert config["version"] == 3
    page = (build_output / "static" / "index.html").read_text()
    script = re.search(r'<script type="module" src="([^"]+)"', page)[1]
    for path in ("/", script, "/api/sendMessage"):
        headers = headers_for(config, path)
        assert "script-src 'self'" in headers["Content-Security-Policy"], path
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers_for(config, script)["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Cache-Control" not in headers_for(config, "/"), "the page must be revalidated to find new bundles"
    assert headers_for(config, "/api/sendMessage")["Cache-Control"] == "no-store"


def test_room_links_carry_the_pages_security_headers_and_the_lobby_keeps_its_edge_caching(build_output):
    config = json.loads((build_output / "config.json").read_text())
    front, room = headers_for(config, "/"), headers_for(config, "/r/team-a")
    assert room == front and "frame-ancestors 'none'" in room["Content-Security-Policy"]
    assert room["X-Frame-Options"] == "DENY"
    # /api/rooms sets `s-maxage` itself (the lobby is cached at the edge); no route may replace it.
    assert "Cache-Control" not in headers_for(config, "/api/rooms")
    assert headers_for(config, "/api/rooms/x")["Cache-Control"] == "no-store"


def test_room_links_are_served_the_room_page(build_output):
    config = json.loads((build_output / "config.json").read_text())
    rewrites = [route for route in config["routes"] if re.match(r"/room(\?|$)", route.get("dest", ""))]
    assert any(re.fullmatch(route["src"], "/r/team-a") for route in rewrites), config["routes"]
    assert not any(re.fullmatch(route["src"], "/r/a/b") for route in rewrites)


def test_unknown_paths_get_our_404_page_with_status_404(build_output):
    config = json.loads((build_output / "config.json").read_text())
    after_error = config["routes"][config["routes"].index({"handle": "error"}) + 1 :]
    assert any(route.get("status") == 404 and route.get("dest") == "/404" for route in after_error), config["routes"]
    assert (build_output / "static" / "404.html").read_text().count("<h1") == 1
