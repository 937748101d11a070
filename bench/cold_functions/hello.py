"""A hello-world Flask function: the cold-start baseline."""

from flask import Flask

app = Flask(__name__)


@app.post("/api/hello")
def hello():
    return {"hello": "world"}
