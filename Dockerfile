# pqrs: build stage + slim runtime stage.
# Checked by tests/docker.sh (a real build and run with podman; see README "Docker").
# The image links the system libpq (TLS to PostgreSQL) instead of the bundled one.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml: the flags the bundled SQLite is compiled with.
COPY .cargo .cargo
COPY src src
COPY migrations migrations
# src/domain includes rules/calendar.toml and rules/terms.toml at compile time; Cargo.toml names
# [[bench]] targets, and cargo refuses a manifest whose bench files are missing.
COPY rules rules
COPY benches benches
# e.g. --build-arg CARGO_BUILD_JOBS=1 on a shared machine; "default" = one job per CPU.
ARG CARGO_BUILD_JOBS=default
RUN cargo build --release --locked --no-default-features

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/pqrs --create-home pqrs \
    && install -d -o pqrs -g pqrs /var/lib/pqrs/data
COPY --from=build /src/target/release/pqrs /usr/local/bin/pqrs
COPY rules /etc/pqrs/rules
USER pqrs
WORKDIR /var/lib/pqrs
ENV PQRS_LISTEN=0.0.0.0:8080 \
    PQRS_DATA_DIR=/var/lib/pqrs/data \
    PQRS_DATABASE_URL=/var/lib/pqrs/data/pqrs.db \
    PQRS_RULES_DIR=/etc/pqrs/rules
# A new volume takes this directory's owner (pqrs); without it the server could not create its database.
VOLUME /var/lib/pqrs/data
EXPOSE 8080
# Orchestrators probe GET /healthz (200 = database reachable; body tells intake and outbox state).
ENTRYPOINT ["/usr/local/bin/pqrs"]
CMD ["serve"]
