# The `memory` server in a container: built in a Rust image, run as a non-root user in a slim
# Debian image with the data in the /data volume.
#
#   docker build -t memory .
#   docker run -p 8000:8000 -v memory-data:/data -e MCP_API_KEY="$(openssl rand -base64 32)" \
#     -e MCP_OAUTH_ISSUER=https://memory.example.com memory
#
# Cargo features choose the plugins: --build-arg FEATURES="signer-eddsa,store-surrealdb,authn-owner-key"
# builds only those (default: every plugin).

FROM rust:1.95-bookworm AS build
ARG FEATURES=""
WORKDIR /src
COPY . .
RUN if [ -n "$FEATURES" ]; then \
      cargo build --release --locked -p mcp-oauth-server --no-default-features --features "$FEATURES"; \
    else \
      cargo build --release --locked -p mcp-oauth-server; \
    fi \
 && cp target/release/memory /usr/local/bin/memory

FROM debian:bookworm-slim
# curl for the health check only; certificates for client metadata documents, OpenID providers
# and enterprise identity providers over https.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin memory \
 && mkdir /data && chown memory:memory /data
COPY --from=build /usr/local/bin/memory /usr/local/bin/memory
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Every interface inside the container; the issuer must be set to the URL clients use.
ENV MCP_HTTP_HOST=0.0.0.0 \
    MCP_HTTP_PORT=8000 \
    MCP_DATA_DIR=/data
EXPOSE 8000
# Ready, not only alive: 503 while the storage does not answer (health routes answer any Host).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--output", "/dev/null", "http://127.0.0.1:8000/api/health/ready"]
ENTRYPOINT ["memory"]
CMD ["server", "--http"]
