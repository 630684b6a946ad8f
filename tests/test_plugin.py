"""The pytest plugin as users meet it: sample projects run with pytester."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent / "examples"

SEND_HELPERS = """
import json, urllib.parse, urllib.request

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"

def send(mock, **params):
    query = urllib.parse.urlencode({"key": KEY, "number": "36301234567", "message": "Hi",
                                    "format": "json", **params})
    with urllib.request.urlopen(f"{mock.url}/gateway?{query}") as response:
        return json.load(response)
"""


def test_readme_examples_pass_in_an_empty_project(pytester: pytest.Pytester) -> None:
    examples = sorted(EXAMPLES.glob("test_readme_*.py"))
    assert len(examples) == 4
    pytester.makepyfile(**{path.stem: path.read_text() for path in examples})
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=5)
    script = (EXAMPLES / "readme_without_pytest.py").read_text()
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    assert ran.stdout == "[('36301234567', 6)]\n"


def test_each_test_gets_fresh_state_on_one_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        from conftest import send
        urls = set()

        def test_one(seeme_mock):
            urls.add(seeme_mock.url)
            assert send(seeme_mock)["result"] == "OK"
            assert len(seeme_mock.messages) == 1

        def test_two(seeme_mock):
            urls.add(seeme_mock.url)
            assert seeme_mock.messages == []
            assert len(urls) == 1
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_marker_settings_and_ini_and_command_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makeini("[pytest]\nseeme_language = cs\nseeme_retry_attempts = 3\n")
    pytester.makepyfile(
        """
        import pytest
        from decimal import Decimal
        from conftest import send

        def test_language_from_ini_or_command_line(seeme_mock, request):
            expected = request.config.getoption("seeme_language") or "cs"
            assert seeme_mock.config.language == expected
            assert seeme_mock.config.retry.attempts == 3

        @pytest.mark.seeme(language="hu", unit_price=Decimal("20"))
        def test_marker_wins(seeme_mock):
            assert seeme_mock.config.language == "hu"
            assert send(seeme_mock)["price"] == 20

        @pytest.mark.seeme(clock="real", retry_attempts="2", callback_codes="4,6")
        def test_marker_takes_the_ini_files_text_too(seeme_mock):
            assert not seeme_mock.clock.manual
            assert seeme_mock.config.retry.attempts == 2
            assert seeme_mock.config.callback_codes == {4, 6}
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
    pytester.runpytest("--seeme-language", "sk").assert_outcomes(passed=3)


def test_a_bad_option_value_lists_the_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(seeme_mock): pass")
    result = pytester.runpytest("--seeme-language", "de")
    result.stderr.fnmatch_lines(["ERROR: seeme_language: 'de' is not one of en, hu, ro, sk, cs"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_an_unknown_marker_setting_fails_with_the_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.seeme(langauge="hu")
        def test_x(seeme_mock):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*unknown setting 'langauge' (did you mean 'language'?); "
            "valid: clock, keys, allowed_senders, *, max_messages, max_rejections, scenario"
        ]
    )


def test_real_clock_wait_and_a_failed_wait_explains(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        import pytest
        from seeme_mock import SeemeMockError, Step
        from conftest import send

        FAST = (Step(3, 0.01), Step(4, 0.02), Step(6, 0.03))

        @pytest.mark.seeme(clock="real", progression=FAST)
        def test_real_clock(seeme_mock, httpserver):
            httpserver.expect_request("/dlr").respond_with_data("")
            dlr = httpserver.url_for("/dlr")
            send(seeme_mock, reference="r", callback="3,4,6", callbackurl=dlr)
            done = seeme_mock.wait_for_callbacks(reference="r", codes=[6], timeout=10)
            assert [c.code for c in done] == [6]

        @pytest.mark.seeme(clock="real", progression=FAST)
        def test_wait_failure(seeme_mock):
            send(seeme_mock, reference="r", callback="6", callbackurl="http://127.0.0.1:9/dlr")
            with pytest.raises(SeemeMockError) as failure:
                seeme_mock.wait_for_callbacks(reference="r", codes=[6], timeout=0.5)
            assert "waited 0.5 s for callbacks [6] of reference 'r'" in str(failure.value)
            assert "code=6: pending; attempts: ConnectionRefusedError" in str(failure.value)

        def test_manual_wait_gives_up_a_dead_receiver_in_virtual_time(seeme_mock):
            send(seeme_mock, reference="r", callback="6", callbackurl="http://127.0.0.1:9/dlr")
            with pytest.raises(SeemeMockError) as failure:
                seeme_mock.wait_for_callbacks(reference="r", timeout=600)
            assert "code=6: failed (no 2xx answer after 6 attempts)" in str(failure.value)
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_assert_sent_lists_near_misses(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        from conftest import send

        def test_near_miss(seeme_mock):
            send(seeme_mock, number="36201234567", message="Your code: 1234")
            send(seeme_mock, number="3620")
            seeme_mock.assert_sent(number="36301234567", text="1234")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ExpectationError: expected a send with number='36301234567', text='1234' at least "
            "once, found 0",
            "*other sends:",
            "*number='36201234567' text='Your code: 1234'",
            "*sends the gateway refused:",
            "*code 3 (The number must be in international format)*",
        ]
    )


def test_asgi_delivery(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        from conftest import send

        seen = []

        async def app(scope, receive, send_):
            seen.append(scope["path"] + "?" + scope["query_string"].decode())
            await send_({"type": "http.response.start", "status": 200, "headers": []})
            await send_({"type": "http.response.body", "body": b""})

        def test_asgi(seeme_mock):
            seeme_mock.deliver_to(app, path="/hooks/seeme")
            send(seeme_mock, callback="6")
            seeme_mock.advance(3)
            assert len(seen) == 1 and seen[0].startswith("/hooks/seeme?reference=&number=")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_crashing_dlr_handler_is_recorded_and_retried(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        from conftest import send

        def app(environ, start_response):
            raise KeyError("reference")

        def test_crash(seeme_mock):
            seeme_mock.deliver_to(app)
            send(seeme_mock, callback="6")
            seeme_mock.advance(600)
            [callback] = seeme_mock.callbacks
            assert callback.state.value == "failed"
            assert callback.attempts[0].error == "the app raised KeyError: 'reference'"
            assert len(callback.attempts) == 6
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_without_pytest_as_a_context_manager() -> None:
    import json
    import urllib.request

    from seeme_mock import SeemeMock

    with SeemeMock() as mock:
        key = "c2415537c8fca33feab37f0017faddf1fe5a"
        url = f"{mock.url}/gateway?key={key}&method=balance&format=json"
        with urllib.request.urlopen(url) as response:
            assert json.load(response)["balance"] == "1000000000.000"
        mock.check()


UNDELIVERABLE = """
[[scenario]]
name = "vodafone fails"
match = { number = { prefix = "3670" } }
progression = "undeliverable"
"""


def test_scenarios_from_ini_command_line_marker_and_code(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "vodafone.toml").write_text(UNDELIVERABLE)
    pytester.path.joinpath("stopped.toml").write_text(
        '[[scenario]]\nname = "all stopped"\nprogression = "stopped"\n'
    )
    pytester.makeini("[pytest]\nseeme_scenarios = scenarios\n")
    pytester.makepyfile(
        f"""
        import pytest
        from conftest import send

        def final(mock, number):
            send(mock, number=number)
            mock.advance(10)
            return mock.messages[-1].status

        def test_ini_or_command_line(seeme_mock, request):
            expected = 2 if request.config.getoption("seeme_scenarios") else 7
            assert final(seeme_mock, "36701234567") == expected

        @pytest.mark.seeme(scenarios="stopped.toml")
        def test_marker_paths(seeme_mock):
            assert final(seeme_mock, "36701234567") == 2

        @pytest.mark.seeme(scenario={UNDELIVERABLE!r})
        def test_marker_inline_comes_before_the_project_scenarios(seeme_mock, request):
            assert final(seeme_mock, "36701234567") == 7
            expected = 2 if request.config.getoption("seeme_scenarios") else 6
            assert final(seeme_mock, "36301234567") == expected

        def test_use_scenario_in_code(seeme_mock):
            seeme_mock.use_scenario('[[scenario]]\\nname = "x"\\nprogression = "error"\\n')
            assert final(seeme_mock, "36301234567") == 1

        def test_use_scenario_path(seeme_mock, pytestconfig):
            seeme_mock.use_scenario(pytestconfig.rootpath / "stopped.toml")
            assert final(seeme_mock, "36301234567") == 2
        """
    )
    pytester.runpytest().assert_outcomes(passed=5)
    pytester.runpytest("--seeme-scenarios", "stopped.toml").assert_outcomes(passed=5)


def test_a_bad_scenario_file_stops_the_run_with_its_position(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("bad.toml").write_text('[[scenario]]\nprogression = "delivred"\n')
    pytester.makepyfile("def test_x(seeme_mock): pass")
    result = pytester.runpytest("--seeme-scenarios", "bad.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad.toml:2:1: unknown progression 'delivred'*"])


def test_an_inline_scenario_error_fails_the_test_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.seeme(scenario='[[scenario]]\\nsteps = [{ code = 12 }]\\n')
        def test_x(seeme_mock):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_x scenario:2:12: a status code must be one of 1..10, got 12*"]
    )


def test_seed_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_seed(seeme_mock):
            assert seeme_mock.config.seed == 42
        """
    )
    pytester.runpytest("--seeme-seed", "42").assert_outcomes(passed=1)
    result = pytester.runpytest("--seeme-seed", "many")
    result.stderr.fnmatch_lines(["ERROR: seeme_seed: 'many' is not a whole number"])


def test_under_xdist_each_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        import os
        import pytest
        from conftest import send

        @pytest.mark.parametrize("n", range(8))
        def test_parallel(seeme_mock, n):
            assert send(seeme_mock, reference=f"r{n}")["result"] == "OK"
            seeme_mock.advance(5)
            assert [m.reference for m in seeme_mock.messages] == [f"r{n}"]
            assert seeme_mock.messages[0].status == 6
            print("worker", os.environ["PYTEST_XDIST_WORKER"], seeme_mock.url)
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)


@pytest.mark.asyncio_project
def test_async_tests_with_pytest_asyncio_and_anyio(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        import asyncio
        import pytest
        from aiohttp import web
        from conftest import send

        async def receiver():
            '''The SUT's DLR endpoint, served on the test's own event loop.'''
            seen = []

            async def dlr(request):
                seen.append(request.query["code"])
                return web.Response(text="")

            app = web.Application()
            app.router.add_get("/dlr", dlr)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]
            return runner, f"http://127.0.0.1:{port}/dlr", seen

        @pytest.mark.asyncio
        async def test_pytest_asyncio(seeme_mock):
            runner, url, seen = await receiver()
            await asyncio.to_thread(send, seeme_mock, reference="a", callback="3,4,6",
                                    callbackurl=url)
            assert await seeme_mock.advance_async(5) == 3
            assert seen == ["3", "4", "6"]
            await runner.cleanup()

        @pytest.mark.anyio
        @pytest.mark.seeme(clock="real", progression=())
        async def test_anyio_real_clock(seeme_mock, anyio_backend):
            runner, url, seen = await receiver()
            seeme_mock.use_scenario(
                '[[scenario]]\\nsteps = [{ code = 6, after = "50ms" }]\\n'
            )
            await asyncio.to_thread(send, seeme_mock, reference="b", callback="6",
                                    callbackurl=url)
            [callback] = await seeme_mock.wait_for_callbacks_async(reference="b", codes=[6])
            assert callback.attempts[0].status == 200 and seen == ["6"]
            await runner.cleanup()

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_fake_data_is_realistic_and_repeatable(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEND_HELPERS)
    pytester.makepyfile(
        """
        from seeme_mock.core.operators import mccmnc_for
        from conftest import send

        def test_fake(seeme_mock):
            fake = seeme_mock.fake
            numbers = [fake.seeme_number(c) for c in ("HU", "RO", "SK", "CZ")]
            assert all(mccmnc_for(n) for n in numbers)
            sender, reference = fake.seeme_sender(), fake.seeme_reference()
            for number in numbers:
                assert send(seeme_mock, number=number, sender=sender,
                            reference=reference)["result"] == "OK"
            print("DATA", numbers, sender, reference)
        """
    )
    first = pytester.runpytest("-s")
    first.assert_outcomes(passed=1)
    second = pytester.runpytest("-s")
    data = [line for line in first.outlines if "DATA" in line]
    assert data and data == [line for line in second.outlines if "DATA" in line]
