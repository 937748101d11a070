"""What `make dev` refuses before it starts anything: busy ports and bad settings, each in one line.

The launcher runs in a copy of the files it reads first (scripts/, chat/, emulator/, vercel.json),
so that a test's .env never replaces a developer's."""

import httpx
import pytest

from devtools.tcp_ports import listen_error
from tests.launcher.support import launcher_env, other_app, project_copy, run_to_exit, silent_listener


@pytest.fixture
def project(tmp_path):
    return project_copy(tmp_path)


def assert_refused_in_one_line(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "", "nothing may start (no emulator, no vercel dev), so nothing prints"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize("occupant", [other_app, silent_listener], ids=["a server", "a silent listener"])
def test_a_busy_app_port_is_refused_with_the_way_out(project, occupant):
    with occupant() as port:
        line = assert_refused_in_one_line(run_to_exit(launcher_env(PORT=str(port)), cwd=project))
        assert line.startswith(f"Port {port} (PORT) is already in use on 127.0.0.1: ")
        suggested = int(line.rsplit("PORT=", 1)[1].removesuffix(" make dev"))
        assert suggested != port and listen_error(suggested) is None
        if occupant is other_app:  # the other app is left alone, still serving its own page
            assert "Another app" in httpx.get(f"http://127.0.0.1:{port}/").text
    assert not (project / ".vercel").exists()


def test_a_busy_emulator_port_that_was_asked_for_is_refused(project):
    with silent_listener() as port:
        line = assert_refused_in_one_line(run_to_exit(launcher_env(EMULATOR_PORT=str(port)), cwd=project))
    assert line == (
        f"Port {port} (EMULATOR_PORT) is already in use on 127.0.0.1: choose another, "
        "or leave EMULATOR_PORT unset and make dev picks a free one"
    )


def test_a_port_that_is_not_a_number_is_named(project):
    line = assert_refused_in_one_line(run_to_exit(launcher_env(PORT="3000a"), cwd=project))
    assert line == "PORT is not a port number: expected 0 to 65535"


BAD_SETTINGS = {
    "key without its secret": ("ABLY_API_KEY=myapp.mykey\n", {}, "ABLY_API_KEY is malformed", ["myapp.mykey"]),
    "endpoint without a scheme": (
        "ABLY_API_KEY=myapp.mykey:k3y-s3cret\nABLY_ENDPOINT=localhost:8081\n",
        {},
        "ABLY_ENDPOINT is malformed",
        ["k3y-s3cret", "localhost:8081"],
    ),
    "redis url of another scheme": (
        "REDIS_URL=http://user:r3dis-pass@cache:6379\n",
        {},
        "REDIS_URL is malformed",
        ["r3dis-pass", "cache:6379"],
    ),
    "short session secret": (
        "SESSION_SECRET=tooshort-s3cret\n",
        {},
        "SESSION_SECRET is malformed",
        ["tooshort-s3cret"],
    ),
    # .env as copied from an older .env.example: vercel dev would give functions "" over the emulator's key.
    "blank key line": (
        "ABLY_API_KEY=\nABLY_ENDPOINT=\n",
        {},
        "ABLY_API_KEY in .env would replace the emulator's value",
        ["local-dev-secret"],
    ),
    # The environment wins by the project's rule, but vercel dev hands functions the .env line.
    "a key in .env and another in the environment": (
        "ABLY_API_KEY=myapp.k1:d0tenv-s3cret\n",
        {"ABLY_API_KEY": "myapp.k2:env1ron-s3cret"},
        "ABLY_API_KEY in .env would replace the environment's value",
        ["d0tenv-s3cret", "env1ron-s3cret"],
    ),
}


@pytest.mark.parametrize("dotenv, environment, problem, never_shown", BAD_SETTINGS.values(), ids=BAD_SETTINGS)
def test_bad_settings_stop_it_before_anything_starts_named_but_not_shown(
    project, dotenv, environment, problem, never_shown
):
    (project / ".env").write_text(dotenv)
    line = assert_refused_in_one_line(run_to_exit(launcher_env(**environment), cwd=project))
    assert line.startswith(problem)
    assert not [value for value in never_shown if value in line]
    assert not (project / ".vercel").exists()
