# The audit image for deploy/cronjob.yaml: govscan from this package, plus git (govscan drift clones
# the GitOps repository). Non-root, no compilers, no caches, no bytecode writes (read-only root).
#   docker build -t registry.example.com/platform/govscan:0.1.0 .
# then pin deploy/cronjob.yaml's image to the pushed digest.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY scanner ./scanner
COPY rules ./rules
COPY reporters ./reporters
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-compile /wheels/*.whl && rm -rf /wheels
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HOME=/tmp
USER 65532:65532
WORKDIR /tmp
ENTRYPOINT ["govscan"]
CMD ["--help"]
