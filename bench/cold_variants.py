"""What the cold-start benchmark (bench/cold_start.py) runs: each variant is a function file, how it is
called, and how it is installed; the letters are the ones the goals name."""

from dataclasses import dataclass
from pathlib import Path

GOAL = 1.15  # what the project may add on top of Flask and the SDK: (c)/(b) and (d)/(b')
COMPARED_REQUIREMENTS = Path(__file__).with_name("cold_functions") / "requirements-compared.txt"
HELLO = ("bench/cold_functions/hello.py", "POST", "/api/hello")
SEND_MESSAGE = ("api/sendMessage.py", "POST", "/api/sendMessage")


@dataclass(frozen=True)
class Variant:
    label: str
    function: tuple[str, str, str]  # path, method, route
    bytecode: bool = True
    compared: bool = False  # with the compared designs' packages on the path
    every: int = 1  # measured in one round out of `every`: the slow ones need fewer samples


HELLO_AS_RUN = Variant("(a) hello-world Flask", HELLO)
SEND_FLOOR = Variant(
    "(b) Flask + AblyRestSync, publish", ("bench/cold_functions/send_floor.py", "POST", "/api/sendMessage")
)
TOKEN_FLOOR = Variant(
    "(b') Flask + AblyRestSync, TokenRequest", ("bench/cold_functions/token_floor.py", "GET", "/api/ably/auth")
)
SEND_AS_RUN = Variant("(c) api/sendMessage.py", SEND_MESSAGE)
AUTH_AS_RUN = Variant("(d) api/ably/auth.py", ("api/ably/auth.py", "GET", "/api/ably/auth"))
DESIGN = [HELLO_AS_RUN, SEND_FLOOR, TOKEN_FLOOR, SEND_AS_RUN, AUTH_AS_RUN]
HELLO_NO_PYC = Variant("(a) hello-world Flask, no .pyc", HELLO, bytecode=False, every=3)
SEND_NO_PYC = Variant("(c) api/sendMessage.py, no .pyc", SEND_MESSAGE, bytecode=False, every=3)
RATE_LIMITS = [
    HELLO_AS_RUN,
    Variant(
        "hello + limits 5.8 (moving window, memory)", ("bench/cold_functions/limits_memory.py", "POST", "/api/hello")
    ),
    Variant(
        "hello + Flask-Limiter 4.1 (memory://)",
        ("bench/cold_functions/flask_limiter_memory.py", "POST", "/api/hello"),
        compared=True,
    ),
]
VARIANTS = list(dict.fromkeys([*DESIGN, HELLO_NO_PYC, SEND_NO_PYC, *RATE_LIMITS]))
