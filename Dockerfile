# paperbot as a container: `docker compose up -d` (see docker-compose.yml and the README's "Deploy").
#
# Two stages: the first builds paperbot's wheel, the second installs it into a clean
# image and runs it as an unprivileged user, with the database on the /data volume.

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
COPY seeds ./seeds
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin paperbot \
    && mkdir -p /data && chown paperbot:paperbot /data

# The database lives on the volume; health and Slack's HTTP mode listen on all interfaces
# inside the container (publish the ports you want, on the host side, in compose).
ENV PAPERBOT_DB=/data/paperbot.db \
    PAPERBOT_HEALTH_HOST=0.0.0.0 \
    PAPERBOT_HEALTH_PORT=8080 \
    PAPERBOT_HOST=0.0.0.0 \
    PAPERBOT_LOG_FORMAT=json
VOLUME ["/data"]
WORKDIR /data
USER paperbot
EXPOSE 8080 3000

# Liveness: the health server answers /healthz (readiness, with reasons, is /readyz).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PAPERBOT_HEALTH_PORT', '8080'), timeout=4)"]

# SIGTERM (docker stop) ends paperbot cleanly within a few seconds, exit status 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["paperbot"]
CMD ["run"]
