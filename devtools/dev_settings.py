"""The settings `make dev` hands the functions: the project's rule (the environment wins over .env;
blank is unset), checked against what `vercel dev` itself would make of .env."""

import os

from dotenv import dotenv_values

from chat.config import VARIABLES
from devtools import ROOT
from devtools.dev_console import LaunchError


def dotenv_lines() -> dict[str, str]:
    """.env as vercel dev reads it: no ${VAR} expansion, and a line without `=` sets nothing."""
    values = dotenv_values(ROOT / ".env", interpolate=False)
    return {name: value for name, value in values.items() if value is not None}


def configured_settings(dotenv: dict[str, str]) -> dict[str, str]:
    """The functions' settings by the project's rule: the environment wins over .env; blank is unset."""
    merged = {**dotenv, **os.environ}
    return {name: merged[name].strip() for name in VARIABLES if merged.get(name, "").strip()}


def check_dotenv_overrides_nothing(settings: dict[str, str], dotenv: dict[str, str], own: dict[str, str]) -> None:
    """vercel dev gives functions .env's lines over its config's `env`; refuse where that would change a
    value, such as a blank `ABLY_API_KEY=` line hiding the emulator's key. `own` names the source of
    each value the launcher supplies itself ("the emulator's")."""
    for name in VARIABLES:
        if name in dotenv and dotenv[name].strip() != settings.get(name, ""):
            source = own.get(name, "the environment's")
            raise LaunchError(
                f"{name} in .env would replace {source} value for the functions "
                "(vercel dev prefers .env): delete that line from .env"
            )


def describe_realtime(settings: dict[str, str], emulator_url: str | None) -> str:
    if emulator_url:
        return f"the local Ably emulator at {emulator_url} (no ABLY_API_KEY configured)"
    if "ABLY_ENDPOINT" in settings:
        return f"the Ably-compatible service at {settings['ABLY_ENDPOINT']}"
    return "Ably's cloud"
