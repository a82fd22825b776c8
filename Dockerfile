# syntax=docker/dockerfile:1
# KrxHub in a container (docs/operations.md#containers): built with the .NET SDK, run on the ASP.NET runtime as the
# image's non-root "app" user. Nothing is written outside /data (a volume), so the root filesystem can be read-only
# (docker run --read-only --tmpfs /tmp). Build: docker build -t krxhub .

ARG DOTNET_TAG=10.0-noble

# ---- build: restore with only the project files first, so a source change does not repeat the restore layer
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/KrxHub/KrxHub.csproj src/KrxHub/
COPY src/KrxHub.Core/KrxHub.Core.csproj src/KrxHub.Core/
COPY src/KrxHub.Storage/KrxHub.Storage.csproj src/KrxHub.Storage/
COPY src/KrxHub.Sources/KrxHub.Sources.csproj src/KrxHub.Sources/
# --ucr: restore and publish for the build platform's runtime, so the assemblies ship precompiled (ReadyToRun).
RUN dotnet restore src/KrxHub/KrxHub.csproj --ucr
COPY src/ src/
COPY data/ data/
RUN dotnet publish src/KrxHub/KrxHub.csproj --no-restore -c Release --ucr --self-contained false -o /app -p:UseAppHost=false

# ---- runtime
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG} AS runtime
# pg_dump/pg_restore for `krxhub backup` of a PostgreSQL store (Ubuntu 24.04: client 16; keep the server at 16 or
# build with --build-arg PG_CLIENT= to leave them out).
ARG PG_CLIENT=postgresql-client
RUN if [ -n "$PG_CLIENT" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends "$PG_CLIENT" \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /data /backups \
    && chown app:app /data /backups
WORKDIR /app
COPY --from=build /app ./
# The listen address comes from `serve --urls` (CMD); the base image's ASPNETCORE_HTTP_PORTS would only add a warning.
ENV KRXHUB_DATA_DIR=/data \
    ASPNETCORE_HTTP_PORTS= \
    DOTNET_NOLOGO=1
VOLUME ["/data"]
# The non-root "app" user of the .NET images, by number (so that runAsNonRoot can verify it).
USER $APP_UID
EXPOSE 8080
# The runtime image has no curl: the hub binary asks its own /health/live (exit 0 on 200). The first start loads the
# bundled data before it listens (a minute or more on PostgreSQL): the start period covers it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=300s --retries=3 \
    CMD ["dotnet", "/app/krxhub.dll", "healthcheck", "--url", "http://127.0.0.1:8080/health/live"]
ENTRYPOINT ["dotnet", "/app/krxhub.dll"]
# Listening beyond loopback needs an admin API key first (docs/operations.md#containers).
CMD ["serve", "--urls", "http://0.0.0.0:8080"]
