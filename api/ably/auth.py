"""GET /api/ably/auth?clientId=NAME: a short-lived Ably TokenRequest for one browser user."""

from flask import request

from chat.config import ably_settings
from chat.ratelimit import Rate, RateLimiter
from chat.tokens import browser_token_request
from chat.validation import clean_username
from chat.web import client_ip, create_app, enforce

app = create_app(__name__)
# Browsers ask once per connection and then hourly; the burst leaves room for a shared office IP.
per_ip = RateLimiter(Rate(burst=60, per_second=1))


@app.get("/api/ably/auth")
def ably_token_request():
    enforce(per_ip, client_ip(request))
    client_id = clean_username(request.args.get("clientId"), field="clientId")
    settings = ably_settings()
    token_request = browser_token_request(settings.key_name, settings.key_secret, client_id,
                                          settings.browser_token_ttl_s)
    response = app.json.response(token_request)
    if settings.endpoint:
        # Tells the browser to connect to this local Ably-compatible service, not Ably's cloud.
        response.headers["X-Realtime-Endpoint"] = settings.endpoint.url
    return response
