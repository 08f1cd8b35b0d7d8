# pqrs: build stage + slim runtime stage.
# No Docker engine runs on the development machines: this file is kept correct by reading (see
# README). The image links the system libpq (TLS to PostgreSQL) instead of the bundled one.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
RUN cargo build --release --locked --no-default-features

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/pqrs --create-home pqrs
COPY --from=build /src/target/release/pqrs /usr/local/bin/pqrs
COPY rules /etc/pqrs/rules
USER pqrs
WORKDIR /var/lib/pqrs
ENV PQRS_LISTEN=0.0.0.0:8080 \
    PQRS_DATA_DIR=/var/lib/pqrs/data \
    PQRS_DATABASE_URL=/var/lib/pqrs/data/pqrs.db \
    PQRS_RULES_DIR=/etc/pqrs/rules
VOLUME /var/lib/pqrs/data
EXPOSE 8080
# Orchestrators probe GET /healthz (200 = database reachable; body tells intake and outbox state).
ENTRYPOINT ["/usr/local/bin/pqrs"]
CMD ["serve"]
