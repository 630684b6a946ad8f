import json
import urllib.parse
import urllib.request


def send_sms(gateway_url, number, sender):
    """Your code under test."""
    query = urllib.parse.urlencode(
        {
            "key": "c2415537c8fca33feab37f0017faddf1fe5a",
            "number": number,
            "sender": sender,
            "message": "Your code: 1234",
            "format": "json",
        }
    )
    with urllib.request.urlopen(f"{gateway_url}?{query}") as response:
        return json.load(response)


def test_many_countries(seeme_mock):
    for country in ("HU", "RO", "SK", "CZ"):
        number = seeme_mock.fake.seeme_number(country)  # e.g. 40721234567, never a magic number
        reply = send_sms(seeme_mock.url + "/gateway", number, seeme_mock.fake.seeme_sender())
        assert reply["result"] == "OK"
    assert len(seeme_mock.messages) == 4
