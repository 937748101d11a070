"""api/sendMessage.py as it published before: through ably-python's AblyRestSync, for the
cold-start comparison. Everything else (sessions, limits, checks) is the function's own."""

from ably.sync.rest.rest import AblyRestSync
from ably.sync.types.message import Message

from chat.ably_rest import Ably
from chat.config import Settings
from chat.web import create_app
from devtools.functions import load_function


class PublishWithSdk(Ably):
    client = None

    def publish(self, channel: str, name: str, data: dict, message_id: str) -> None:
        if self.client is None:
            endpoint = self.settings.ably_endpoint  # ably-python asks for tokens over plain HTTP
            self.client = AblyRestSync(key=self.settings.ably_key, endpoint=endpoint.host, port=endpoint.port,
                                       tls=False, use_token_auth=True)
        self.client.channels.get(channel).publish(Message(name=name, data=data, id=message_id))


function = load_function("api/sendMessage.py")
settings = Settings.from_environment()
app = create_app(function.routes, settings=settings, ably=PublishWithSdk(settings))
