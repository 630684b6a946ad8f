# seeme-mock as a service: docker build -t seeme-mock . && docker run -p 8080:8080 seeme-mock
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY seeme_mock ./seeme_mock
RUN pip install --no-cache-dir '.[fast]'
EXPOSE 8080
# a container must listen beyond its own loopback; the health check asks the admin API
HEALTHCHECK --interval=5s --timeout=3s --retries=10 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__admin/health')"
ENTRYPOINT ["seeme-mock", "serve", "--host", "0.0.0.0", "--port", "8080"]
