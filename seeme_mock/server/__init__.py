"""The network layer over the engine: aiohttp server, callback dispatcher, senders."""
