# brandhouse's image (compose.yaml, .gitlab-ci.yml). Three stages:
#   deps     builds every dependency from Cargo.toml + Cargo.lock alone, against stub sources,
#            so the layer is reused until the dependencies change (a source change rebuilds
#            only the crate itself)
#   build    the real sources on top
#   runtime  Debian slim with CA certificates and the binary, as an unprivileged user, with a
#            HEALTHCHECK that probes /readyz through the binary itself (no curl in the image)
#   web      (beside them) the console and storefront, built from web/ into web/dist, which the
#            release build embeds (src/api/web.rs)
# Tags pinned; the toolchain matches rust-toolchain.toml.

FROM node:20.19.0-bookworm-slim AS web
WORKDIR /src
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund --loglevel=error
COPY openapi/openapi.json openapi/
COPY clients/typescript/src clients/typescript/src
COPY web web
RUN cd web && node_modules/.bin/tsc --noEmit -p tsconfig.json \
    && node_modules/.bin/vite build --mode console --logLevel warn \
    && node_modules/.bin/vite build --mode shop --logLevel warn

FROM rust:1.95.0-slim-bookworm AS deps
WORKDIR /src
COPY rust-toolchain.toml Cargo.toml Cargo.lock ./
# Stubs with the crate's shape (a library and a binary): `cargo build` then compiles and
# caches every dependency. Their own artefacts are deleted so the real build replaces them.
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/deps/brandhouse-* target/release/deps/libbrandhouse-* \
       target/release/.fingerprint/brandhouse-* target/release/brandhouse

FROM deps AS build
# The sources (.dockerignore keeps target/ out, so the dependency artefacts above stay). The
# crate embeds sql/, policies/, seed/ and README.md at compile time.
COPY . .
COPY --from=web /src/web/dist web/dist
# check-web fails the build when the binary does not embed both apps and their assets.
RUN cargo build --release --locked --bin brandhouse \
    && target/release/brandhouse check-web \
    && mkdir -p /out/data \
    && cp target/release/brandhouse /out/brandhouse

FROM debian:12.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 brandhouse \
    && useradd --system --uid 10001 --gid brandhouse --home-dir /nonexistent --shell /usr/sbin/nologin brandhouse
COPY --from=build /out/brandhouse /usr/local/bin/brandhouse
# DATA_DIR in compose.yaml: a named volume mounted here starts out owned by the runtime user.
COPY --from=build --chown=10001:10001 /out/data /var/lib/brandhouse
USER 10001:10001
ENV BIND_ADDR=0.0.0.0:8080 DATA_DIR=/var/lib/brandhouse LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["brandhouse", "healthcheck"]
ENTRYPOINT ["brandhouse"]
CMD ["serve"]
