"""localstripe (a fake Stripe server from PyPI) on 127.0.0.1, on a free port, which it prints first.

localstripe's own `start()` listens on every interface and keeps its data in /tmp; the tests want neither.
"""

import asyncio

from aiohttp import web
from localstripe import resources
from localstripe.server import app


async def main() -> None:
    resources.Store.dump_to_disk = lambda self: None  # keep everything in memory, nothing in /tmp
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
