"""Hello-world Flask limited per IP with `limits` (memory storage): what the engine costs a cold start."""

from flask import Flask, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

app = Flask(__name__)
limiter = MovingWindowRateLimiter(MemoryStorage())
PER_IP = parse("5/second")


@app.post("/api/hello")
def hello():
    if not limiter.hit(PER_IP, request.remote_addr):
        return {"error": "too many requests"}, 429
    return {"hello": "world"}
