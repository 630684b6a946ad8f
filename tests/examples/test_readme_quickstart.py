import json
import urllib.parse
import urllib.request


def send_sms(gateway_url, number, text, reference):
    """Your code under test: it sends an SMS through SeeMe."""
    query = urllib.parse.urlencode(
        {
            "key": "c2415537c8fca33feab37f0017faddf1fe5a",  # SeeMe's documented example key
            "number": number,
            "message": text,
            "reference": reference,
            "callback": "4,6,7",
            "format": "json",
        }
    )
    with urllib.request.urlopen(f"{gateway_url}?{query}") as response:
        return json.load(response)


reports = []


def delivery_report_endpoint(environ, start_response):
    """Your delivery-report endpoint (any WSGI or ASGI app: Flask, Django, FastAPI...)."""
    query = urllib.parse.parse_qs(environ["QUERY_STRING"], encoding="iso-8859-2")
    reports.append((query["reference"][0], query["code"][0], query["message"][0]))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b""]


def test_sms_is_delivered(seeme_mock):
    seeme_mock.deliver_to(delivery_report_endpoint, path="/sms/dlr")

    reply = send_sms(seeme_mock.url + "/gateway", "36301234567", "Your code: 1234", "order-1")
    assert reply["result"] == "OK" and reply["split"] == 1

    seeme_mock.advance(5)  # five virtual seconds: transmitted, accepted, delivered

    assert reports == [
        ("order-1", "4", "Accepted by remote SMSC"),
        ("order-1", "6", "Delivered"),
    ]
    seeme_mock.assert_sent(number="36301234567", text="1234", count=1)
