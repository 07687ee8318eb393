# syntax=docker/dockerfile:1
# Images of presence-ingest and presence-query, on the official .NET images (docs/DEPLOY.md,
# "Containers"). Not built by ./scripts/test.sh (there is no container engine there); a test
# checks that what this file names (projects, programs, options, ports, user) matches the code.
#
#   docker build --target ingest -t presence-ingest .
#   docker build --target query -t presence-query .
#   docker compose up --build        # with Redis: compose.yaml

# Build: the same self-contained single-file executables as scripts/publish.sh, for the
# architecture being built (amd64 or arm64).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN case "${TARGETARCH:-amd64}" in amd64) rid=linux-x64 ;; arm64) rid=linux-arm64 ;; *) echo "unsupported architecture ${TARGETARCH}" >&2; exit 1 ;; esac \
 && ./scripts/publish.sh --rid "$rid" --only presence-ingest --only presence-query --out /out \
 && mv /out/"$rid" /out/bin

# Run: runtime-deps holds what a self-contained .NET program needs from the OS (libc, OpenSSL,
# CA certificates) and the unprivileged user `app` ($APP_UID, 1654).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
# The single-file executables unpack their native libraries here on first start.
ENV DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/.net
USER $APP_UID

FROM runtime AS ingest
COPY --from=build /out/bin/presence-ingest /usr/local/bin/presence-ingest
# Heartbeats (UDP), and /metrics, /healthz, /readyz (HTTP). In a container --http must listen
# beyond loopback for anything outside it (Prometheus, a health check) to reach it.
EXPOSE 7700/udp 9700/tcp
ENTRYPOINT ["/usr/local/bin/presence-ingest"]
CMD ["--udp", "0.0.0.0:7700", "--http", "0.0.0.0:9700", "--redis", "redis:6379"]

FROM runtime AS query
COPY --from=build /out/bin/presence-query /usr/local/bin/presence-query
EXPOSE 8080/tcp
ENTRYPOINT ["/usr/local/bin/presence-query"]
CMD ["--http", "0.0.0.0:8080", "--redis", "redis:6379"]
