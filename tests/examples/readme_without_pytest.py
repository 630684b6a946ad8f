import urllib.parse
import urllib.request

from seeme_mock import SeemeMock


def run_my_sut(gateway):
    """Your program: it sends one SMS through SeeMe and asks for no callbacks."""
    query = urllib.parse.urlencode(
        {
            "key": "c2415537c8fca33feab37f0017faddf1fe5a",
            "number": "36301234567",
            "message": "Hello",
            "callback": "4,6",
        }
    )
    urllib.request.urlopen(f"{gateway}?{query}").read()


with SeemeMock() as mock:  # manual clock; SeemeMock(clock="real") for wall time
    run_my_sut(gateway=mock.url + "/gateway")
    mock.advance(10)
    print([(m.number, m.status) for m in mock.messages])  # [('36301234567', 6)]
