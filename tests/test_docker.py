"""The Dockerfile, built and run for real: on a base made from Debian's own packages
(debootstrap and docker import: Docker Hub may be out of reach), it turns healthy, takes a
send and delivers its callback, on loopback. Skipped, with the reason, where no Docker
daemon can run; it takes a minute or two the first time (the base image is kept)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from conftest import send, wait_for

ROOT = Path(__file__).resolve().parent.parent
BASE = "seeme-mock-base:bookworm"
IMAGE = "seeme-mock:docker-test"

pytestmark = pytest.mark.docker


def _docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)  # fmt: skip


def _daemon_answers() -> bool:
    return shutil.which("docker") is not None and _docker("info", timeout=30).returncode == 0


@pytest.fixture(scope="session")
def docker() -> Iterator[None]:
    """A Docker daemon: the one running, or one started here (as root, where dockerd is)."""
    started = None
    if not _daemon_answers():
        if shutil.which("dockerd") is None or os.geteuid() != 0:
            pytest.skip("no Docker daemon answers and none can be started here (needs root "
                        "and dockerd: apt-get install docker.io)")  # fmt: skip
        log = Path(tempfile.gettempdir()) / "seeme-mock-dockerd.log"
        with log.open("w") as output:
            started = subprocess.Popen(["dockerd"], stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not _daemon_answers():
            if started.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"dockerd could not start here; see {log}")
            time.sleep(0.5)
    yield
    if started is not None:
        started.terminate()
        started.wait(30)


@pytest.fixture(scope="session")
def base(docker: None) -> str:
    """A Debian bookworm root with python3 and venv, imported as an image (kept for next
    time)."""
    if _docker("image", "inspect", BASE).returncode == 0:
        return BASE
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="seeme-mock-root-") as root:
        subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
             "bookworm", root, "http://deb.debian.org/debian"],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        # The image trusts what this machine trusts: where HTTPS goes through a proxy with
        # its own CA, pip inside the build reaches PyPI through it too.
        host_cas = Path("/etc/ssl/certs/ca-certificates.crt")
        if host_cas.exists():
            shutil.copy(host_cas, Path(root) / "etc/ssl/certs/ca-certificates.crt")
        archive = Path(root).with_suffix(".tar")
        subprocess.run(["tar", "-C", root, "-cf", str(archive), "."], check=True, timeout=300)
        subprocess.run(["docker", "import", str(archive), BASE], check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        archive.unlink()
    return BASE


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_image_builds_turns_healthy_and_delivers(base: str, httpserver: HTTPServer) -> None:
    built = _docker("build", "-q", "--network", "host", "--build-arg", f"BASE={base}",
                    "-t", IMAGE, str(ROOT))  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    port = _free_port()
    name = f"seeme-mock-test-{port}"
    run = _docker("run", "-d", "--rm", "--network", "host", "--name", name,
                  "-e", "SEEME_MOCK_HOST=127.0.0.1", "-e", f"SEEME_MOCK_PORT={port}",
                  IMAGE, "--delays", "0.1,0.2,0.3")  # fmt: skip
    assert run.returncode == 0, run.stderr
    try:
        wait_for("the container's health check", lambda: _docker(
            "inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip() == "healthy",
            timeout=120)  # fmt: skip
        httpserver.expect_request("/dlr").respond_with_data("")
        url = f"http://127.0.0.1:{port}"
        reply = send(url, reference="docker", callback="6", callbackurl=httpserver.url_for("/dlr"))
        assert reply["result"] == "OK"
        wait_for("the callback from the container", lambda: len(httpserver.log) == 1)
        assert httpserver.log[0][0].args["reference"] == "docker"
    finally:
        stopped = _docker("stop", name, timeout=60)
    assert stopped.returncode == 0
