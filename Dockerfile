# Build and run brandhouse in a container (used by compose.yaml).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/brandhouse /usr/local/bin/brandhouse
# DATA_DIR in compose.yaml: a volume mounted here starts out owned by the runtime user.
RUN mkdir -p /var/lib/brandhouse && chown 65534:65534 /var/lib/brandhouse
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["brandhouse"]
CMD ["serve"]
