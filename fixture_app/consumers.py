"""Django Channels consumers of the channels specs (claims/channels.toml).

``ChatConsumer`` is A1's section 4 sample as written (same shape, our names); next to it the
forms that work where the written one fails, and the small consumers the other claims need.
Mounted by fixture_app/routing.py; driven in-process by Channels' testing communicators.
"""
import threading

from channels.generic.websocket import AsyncWebsocketConsumer, WebsocketConsumer


# channels.chat-consumer-sample, as written: joins one fixed group, forwards every text frame
# to the group as a 'chat_message' event, and sends such events to its own client.
class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_group_name = 'chat_room'
        # join the group
        await self.channel_layer.group_add(
            self.room_group_name,
            self.channel_name
        )
        await self.accept()

    async def disconnect(self, close_code):
        # leave the group
        await self.channel_layer.group_discard(
            self.room_group_name,
            self.channel_name
        )

    async def receive(self, text_data):
        # a frame from this client goes to everyone in the group
        await self.channel_layer.group_send(
            self.room_group_name,
            {
                'type': 'chat_message',
                'message': text_data
            }
        )

    async def chat_message(self, event):
        # an event from the group goes to this client
        await self.send(text_data=event['message'])


# As it works for binary frames too: Channels calls receive(bytes_data=...) for a binary frame,
# so receive() takes both keywords (here a binary frame is decoded and forwarded as text).
class ChatConsumerTextOrBytes(ChatConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await super().receive(text_data if text_data is not None else bytes_data.decode())


class GatedEchoConsumer(AsyncWebsocketConsumer):
    """Echoes each text frame with the thread that handled it. For the frame ``wait`` it first
    sends ``waiting`` and awaits ``gate`` (an asyncio.Event passed with ``as_asgi(gate=...)``),
    so a test can hold one handler suspended and watch another connection served meanwhile."""

    def __init__(self, *args, gate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = gate

    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "wait":
            await self.send(text_data=f"waiting {threading.get_ident()}")
            await self.gate.wait()
        await self.send(text_data=f"{text_data} {threading.get_ident()}")


class SyncEchoConsumer(WebsocketConsumer):
    """Channels' synchronous consumer: plain ``def`` handlers; echoes each text frame with the
    thread that handled it."""

    def connect(self):
        self.accept()

    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=f"{text_data} {threading.get_ident()}")

