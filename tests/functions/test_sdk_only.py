"""Ably's SDK speaks to Ably: no module of the functions (chat/, api/) brings its own HTTP client or
socket, or signs a TokenRequest itself. Read from the source, so a new module is covered too."""

import ast
from pathlib import Path

import pytest

from devtools import ROOT

HTTP_CLIENTS = {
    "http",
    "urllib.request",
    "urllib3",
    "requests",
    "httpx",
    "httpcore",
    "h2",
    "aiohttp",
    "socket",
    "ssl",
    "websocket",
    "websockets",
    "pycurl",
}
# What signing a TokenRequest takes: its fields, hashed with the key's secret.
TOKEN_REQUEST_FIELDS = {"keyName", "nonce", "mac", "capability", "timestamp"}
SOURCES = sorted([*(ROOT / "chat").rglob("*.py"), *(ROOT / "api").rglob("*.py")])


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def is_http_client(module: str) -> bool:
    return any(module == client or module.startswith(f"{client}.") for client in HTTP_CLIENTS)


def strings(tree: ast.AST) -> set[str]:
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def attribute_calls(tree: ast.AST) -> set[str]:
    return {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_http_client_and_no_token_request_signing_of_our_own(source: Path):
    tree = ast.parse(source.read_text(), str(source))
    modules = imported_modules(tree)
    assert not [module for module in modules if is_http_client(module)], "Ably is reached through its SDK only"
    assert "sign_request" not in attribute_calls(tree), "the SDK signs TokenRequests (auth.create_token_request)"
    if "hmac" in modules:  # HMAC for something else (the sessions' key) is fine; over a TokenRequest it is not
        assert not strings(tree) & TOKEN_REQUEST_FIELDS, "the SDK signs TokenRequests (auth.create_token_request)"


def test_the_rules_catch_what_they_are_for():
    own_client = ast.parse("import http.client\nfrom urllib.request import urlopen\nimport requests")
    assert [module for module in sorted(imported_modules(own_client)) if is_http_client(module)] == [
        "http.client",
        "requests",
        "urllib.request",
        "urllib.request.urlopen",
    ]
    assert not any(is_http_client(module) for module in imported_modules(ast.parse("from urllib.parse import quote")))
    own_signer = ast.parse("import hmac\nfields = {'keyName': k, 'nonce': n}\nhmac.new(s, text, 'sha256')")
    assert "hmac" in imported_modules(own_signer) and strings(own_signer) & TOKEN_REQUEST_FIELDS
    assert SOURCES and any(path.name == "ably_client.py" for path in SOURCES)
