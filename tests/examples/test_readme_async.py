import urllib.parse

import aiohttp
import pytest
from aiohttp import web

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_an_async_sut_gets_its_delivery_report(seeme_mock):
    reports = []

    async def dlr(request):  # your async SUT's endpoint, served on the test's own loop
        reports.append((request.query["reference"], request.query["code"]))
        return web.Response(text="")

    app = web.Application()
    app.router.add_get("/dlr", dlr)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    dlr_url = f"http://127.0.0.1:{runner.addresses[0][1]}/dlr"

    async with aiohttp.ClientSession() as http:  # your async SUT sends
        query = urllib.parse.urlencode(
            {
                "key": KEY,
                "number": "36301234567",
                "message": "Hi",
                "reference": "a-1",
                "callback": "6",
                "callbackurl": dlr_url,
                "format": "json",
            }
        )
        async with http.get(f"{seeme_mock.url}/gateway?{query}") as reply:
            assert (await reply.json())["result"] == "OK"

    await seeme_mock.advance_async(5)  # the loop keeps running: the endpoint can answer
    await runner.cleanup()
    assert reports == [("a-1", "6")]
