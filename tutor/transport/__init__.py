"""The only home of sockets, TLS and asyncio: transports that move bytes between a client and a server."""
