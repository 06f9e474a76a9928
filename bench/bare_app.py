"""The baseline for bench/webhook_ingest.py: a bare Flask endpoint that reads the body and answers 202."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/api/v1/events/<name>")
@app.post("/v2/enqueue", defaults={"name": "pagerduty"})
def accept(name: str) -> tuple[dict[str, str], int]:
    request.get_data()
    return {"status": "accepted"}, 202
