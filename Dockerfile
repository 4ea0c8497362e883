# One image for every ima2 part; compose picks the command per service.
FROM python:3.11-slim

ENV UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IMA2_HOME=/data \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv

WORKDIR /app
# Dependencies first, so code changes do not rebuild this layer.
COPY pyproject.toml uv.lock .python-version ./
COPY proto/pyproject.toml proto/pyproject.toml
COPY common/pyproject.toml common/pyproject.toml
COPY jobs/pyproject.toml jobs/pyproject.toml
COPY gateway/pyproject.toml gateway/pyproject.toml
COPY svc-image/pyproject.toml svc-image/pyproject.toml
COPY svc-video/pyproject.toml svc-video/pyproject.toml
COPY svc-library/pyproject.toml svc-library/pyproject.toml
COPY svc-auth/pyproject.toml svc-auth/pyproject.toml
COPY sandbox/pyproject.toml sandbox/pyproject.toml
COPY cli/pyproject.toml cli/pyproject.toml
COPY web/pyproject.toml web/pyproject.toml
RUN uv sync --frozen --no-dev --no-install-workspace

COPY . .
RUN uv sync --frozen --no-dev && useradd --system --uid 10001 ima2 && mkdir -p /data && chown ima2 /data

USER ima2
VOLUME ["/data"]
CMD ["python", "-m", "ima2_gateway"]
