"""Hello-world Flask limited per IP with Flask-Limiter (memory storage): what it costs a cold start."""

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

app = Flask(__name__)
limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")


@app.post("/api/hello")
@limiter.limit("5/second")
def hello():
    return {"hello": "world"}
