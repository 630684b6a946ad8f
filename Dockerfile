# seeme-mock as a service: docker build -t seeme-mock . && docker run -p 8080:8080 seeme-mock
# BASE: any image with python3 (3.10 or newer) and its venv module. Where Docker Hub cannot
# be reached, a Debian root made with debootstrap and `docker import` serves (see
# tests/test_docker.py): docker build --build-arg BASE=seeme-mock-base:bookworm .
ARG BASE=python:3.12-slim
FROM ${BASE}
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY seeme_mock ./seeme_mock
RUN python3 -m venv /opt/seeme-mock && /opt/seeme-mock/bin/pip install --no-cache-dir '.[fast]'
ENV PATH=/opt/seeme-mock/bin:$PATH
EXPOSE 8080
# A container must listen beyond its own loopback (SEEME_MOCK_HOST, SEEME_MOCK_PORT change
# where); bound beyond loopback, serve makes up an admin token unless SEEME_MOCK_ADMIN_TOKEN
# gives one. The health check needs no token.
HEALTHCHECK --interval=2s --timeout=3s --retries=30 CMD python -c "import os, urllib.request; \
urllib.request.urlopen('http://127.0.0.1:%s/__admin/health' % os.environ.get('SEEME_MOCK_PORT', '8080'))"
ENTRYPOINT ["sh", "-c", "exec seeme-mock serve --host \"${SEEME_MOCK_HOST:-0.0.0.0}\" --port \"${SEEME_MOCK_PORT:-8080}\" \"$@\"", "--"]
