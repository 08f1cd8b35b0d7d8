#!/usr/bin/env bash
# Builds this project's Dockerfile with a real container engine and runs the image:
# `pqrs migrate` in a one-off container, then `pqrs serve` (the image's default command) on the same
# SQLite volume, GET /healthz from the host (200, database ok), `pqrs migrate` again inside the
# running container, and a graceful stop (exit code 0). Not part of tests/run.sh: the release build
# inside the container takes many minutes.
#
#   bash tests/docker.sh            # build (layer cache reused) and run
#   PQRS_DOCKER_JOBS=2 bash tests/docker.sh
#   PQRS_DOCKER_ENGINE=podman bash tests/docker.sh
#   bash tests/docker.sh --bases    # only make (or pull) the two base images
#
# Engine (PQRS_DOCKER_ENGINE): docker (default) is Docker's engine from Debian's packages
# (docker.io: dockerd 20.10 + containerd + runc), installed with apt-get when missing; dockerd is
# started when no daemon answers, and stopped again at the end. The classic builder is used
# (DOCKER_BUILDKIT=0): Debian ships no buildx plugin. podman is Debian's podman 4.3 (+ buildah),
# daemonless, with two settings needed on a host like the development VM (harmless elsewhere):
#   - runtime runc, not Debian's default crun: crun 1.8 refuses cgroups in "hybrid" mode (cgroup v1
#     with a cgroup2 mount at /sys/fs/cgroup/unified);
#   - explicit --ulimit values no higher than the host's hard limits: podman 4.3 asks for
#     nofile=1048576 and nproc=4194304 by default, which a root without CAP_SYS_RESOURCE cannot set.
# Base images: when rust:1.95-bookworm or debian:bookworm-slim is not in the engine's storage and
# cannot be pulled (no Docker Hub), it is made here, once: debian:bookworm-slim is `mmdebstrap
# --variant=minbase bookworm` (docs, man pages and locales left out like the official slim image),
# rust:1.95-bookworm is the same plus gcc, libc6-dev, pkg-config, make, git, curl, ca-certificates
# and this machine's Rust 1.95 toolchain in /usr/local/rustup (rustup and its proxies in
# /usr/local/cargo/bin), laid out like the official image. The made rust image also carries the
# host's CA bundle as CARGO_HTTP_CAINFO, so cargo reaches crates.io (over the host network) through
# a TLS-intercepting proxy as the host does; only the build stage sees it, not the final image.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${PQRS_DOCKER_JOBS:-1}
PORT=${PQRS_DOCKER_PORT:-18080}
IMAGE=localhost/pqrs:docker-test
NAME=pqrs-docker-test
VOLUME=pqrs-docker-test-data
RUST_IMAGE=docker.io/library/rust:1.95-bookworm
SLIM_IMAGE=docker.io/library/debian:bookworm-slim
RUST_VERSION=1.95.0

die() { echo "tests/docker.sh: FAILED: $*" >&2; exit 1; }
say() { echo "tests/docker.sh: $*"; }

# --- engine -------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (the engine as root; mmdebstrap in root mode)"
ENGINE=${PQRS_DOCKER_ENGINE:-docker}
case "$ENGINE" in
  docker) pkgs=(docker.io mmdebstrap); tools=(dockerd docker mmdebstrap) ;;
  podman) pkgs=(podman buildah runc mmdebstrap); tools=(podman buildah runc mmdebstrap) ;;
  *) die "PQRS_DOCKER_ENGINE must be docker or podman, not '$ENGINE'" ;;
esac
missing=()
for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install ${pkgs[*]}"
  say "installing ${pkgs[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null \
    || die "apt-get install ${pkgs[*]} failed"
fi

work=${TMPDIR:-/tmp}/pqrs-docker-test   # logs stay here; the root file system tarballs are removed
mkdir -p "$work"
dockerd_pid=
if [ "$ENGINE" = docker ]; then
  E=(docker)
  RMF=(rm -f)
  ULIMITS=()
  BUILD_OPTS=()
  export DOCKER_BUILDKIT=0
  if ! docker info >/dev/null 2>&1; then
    # At nice 19: the build's processes are the daemon's children, not this script's.
    say "starting dockerd at nice 19 (log in $work/dockerd.log)"
    nice -n 19 dockerd >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { tail -20 "$work/dockerd.log" >&2; die "dockerd did not start"; }
  fi
  engine_version="Docker Engine $(docker version -f '{{.Server.Version}}') (docker.io), $(containerd --version | cut -d' ' -f1,3), $(runc --version | head -1)"
else
  hard_nofile=$(ulimit -Hn); [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
  hard_nproc=$(ulimit -Hu); [ "$hard_nproc" = unlimited ] && hard_nproc=32768
  # podman lowers its own nproc limit to 32768 (its build default), and a container cannot get more.
  ((hard_nproc > 32768)) && hard_nproc=32768
  E=(podman --runtime runc)
  RMF=(rm -f -t 0)
  ULIMITS=(--ulimit "nofile=$hard_nofile:$hard_nofile" --ulimit "nproc=$hard_nproc:$hard_nproc")
  BUILD_OPTS=(--pull=never "${ULIMITS[@]}")
  engine_version="$(podman --version), $(buildah --version | cut -d' ' -f1-3), $(runc --version | head -1)"
fi

cleanup() {
  "${E[@]}" "${RMF[@]}" "$NAME" >/dev/null 2>&1 || true
  "${E[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
}
finish() {
  cleanup
  rm -f "$work/slim.tar" "$work/rust.tar"
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null || true; fi
}
trap finish EXIT
cleanup

# --- base images ----------------------------------------------------------------------------------
SLIM_DPKG=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*')
have_or_pull() {
  "${E[@]}" image inspect "$1" >/dev/null 2>&1 && return 0
  timeout 300 "${E[@]}" pull -q "$1" >/dev/null 2>&1
}

if ! have_or_pull "$SLIM_IMAGE"; then
  say "making $SLIM_IMAGE locally (mmdebstrap --variant=minbase bookworm)"
  nice -n 19 mmdebstrap -q --variant=minbase "${SLIM_DPKG[@]}" bookworm "$work/slim.tar" \
    || die "mmdebstrap of $SLIM_IMAGE failed"
  "${E[@]}" import --change 'CMD ["bash"]' "$work/slim.tar" "$SLIM_IMAGE" >/dev/null \
    || die "$ENGINE import of $SLIM_IMAGE failed"
  rm -f "$work/slim.tar"
fi

if ! have_or_pull "$RUST_IMAGE"; then
  say "making $RUST_IMAGE locally (minbase + gcc + this machine's Rust $RUST_VERSION)"
  if command -v rustup >/dev/null && rustup run "$RUST_VERSION" rustc --version >/dev/null 2>&1; then
    sysroot=$(rustup run "$RUST_VERSION" rustc --print sysroot)
    rustup_bin=$(command -v rustup)
  else
    sysroot=$(rustc --print sysroot 2>/dev/null) || die "no Rust toolchain here to put in $RUST_IMAGE"
    rustup_bin=
  fi
  "$sysroot/bin/rustc" --version | grep -q "^rustc $RUST_VERSION " \
    || die "the toolchain at $sysroot is not Rust $RUST_VERSION ($("$sysroot/bin/rustc" --version))"
  host_ca=/etc/ssl/certs/ca-certificates.crt   # the image's own bundle when the host has none
  [ -f "$host_ca" ] || host_ca='"$1/etc/ssl/certs/ca-certificates.crt"'
  tc=/usr/local/rustup/toolchains/$RUST_VERSION-x86_64-unknown-linux-gnu
  # /usr/local/cargo/bin: rustup and its proxies (as in the official image), or links to the toolchain.
  if [ -n "$rustup_bin" ]; then
    tools="cp '$rustup_bin' rustup && for t in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do ln -s rustup \$t; done"
  else
    tools="for f in \"\$1$tc\"/bin/*; do ln -s \"$tc/bin/\${f##*/}\" .; done"
  fi
  nice -n 19 mmdebstrap -q --variant=minbase "${SLIM_DPKG[@]}" \
    --include=ca-certificates,gcc,libc6-dev,pkg-config,make,git,curl \
    --customize-hook="mkdir -p \"\$1$tc\" \"\$1/usr/local/cargo/bin\"" \
    --customize-hook="tar -C '$sysroot' -c bin lib libexec etc | tar -C \"\$1$tc\" -x" \
    --customize-hook="cd \"\$1/usr/local/cargo/bin\" && $tools" \
    --customize-hook="cp $host_ca \"\$1/etc/ssl/host-ca-certificates.crt\"" \
    --customize-hook="printf 'version = \"12\"\ndefault_toolchain = \"$RUST_VERSION-x86_64-unknown-linux-gnu\"\nprofile = \"minimal\"\nauto_self_update = \"disable\"\n' > \"\$1/usr/local/rustup/settings.toml\"" \
    bookworm "$work/rust.tar" || die "mmdebstrap of $RUST_IMAGE failed"
  "${E[@]}" import \
    --change 'ENV RUSTUP_HOME=/usr/local/rustup' --change 'ENV CARGO_HOME=/usr/local/cargo' \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV RUST_VERSION=$RUST_VERSION" --change 'CMD ["bash"]' \
    --change 'ENV CARGO_HTTP_CAINFO=/etc/ssl/host-ca-certificates.crt' \
    "$work/rust.tar" "$RUST_IMAGE" >/dev/null || die "$ENGINE import of $RUST_IMAGE failed"
  rm -f "$work/rust.tar"
fi

out=$("${E[@]}" run --rm "${ULIMITS[@]}" "$RUST_IMAGE" cargo --version 2>&1) \
  || die "the engine cannot run a container here: $out"
say "engine: $engine_version; $out in $RUST_IMAGE"
[ "${1:-}" = --bases ] && exit 0

# --- build ------------------------------------------------------------------------------------------
say "building $IMAGE (cargo jobs: $JOBS, nice 19; log in $work/build.log)"
start=$(date +%s)
if ! nice -n 19 "${E[@]}" build "${BUILD_OPTS[@]}" --network host \
    --build-arg "CARGO_BUILD_JOBS=$JOBS" -t "$IMAGE" . >"$work/build.log" 2>&1; then
  tail -40 "$work/build.log" >&2
  die "$ENGINE build of the Dockerfile failed (log: $work/build.log)"
fi
build_secs=$(($(date +%s) - start))
size=$("${E[@]}" image inspect -f '{{.Size}}' "$IMAGE")
base=$("${E[@]}" image inspect -f '{{.Size}}' "$SLIM_IMAGE")
say "built in ${build_secs} s; image $((size / 1000000)) MB ($(((size - base) / 1000000)) MB over $SLIM_IMAGE)"

# --- run ---------------------------------------------------------------------------------------------
RUN=("${E[@]}" run "${ULIMITS[@]}" -v "$VOLUME:/var/lib/pqrs/data")
out=$("${RUN[@]}" --rm "$IMAGE" migrate 2>&1) || die "pqrs migrate in a new container failed: $out"
grep -q 'migrations applied (sqlite)' <<<"$out" || die "pqrs migrate said: $out"
say "pqrs migrate (one-off container): ok"

"${RUN[@]}" -d --name "$NAME" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null \
  || die "$ENGINE run of pqrs serve failed"
code=
for _ in $(seq 1 60); do
  code=$(curl -s -o "$work/healthz" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || true)
  [ "$code" = 200 ] && break
  [ "$("${E[@]}" inspect -f '{{.State.Running}}' "$NAME")" = true ] || break
  sleep 1
done
if [ "$code" != 200 ]; then
  "${E[@]}" logs "$NAME" 2>&1 | tail -30 >&2
  die "GET /healthz from the host answered '$code', not 200"
fi
grep -q '"database":{"backend":"sqlite","status":"ok"}' "$work/healthz" \
  || die "/healthz does not say the SQLite database is ok: $(cat "$work/healthz")"
say "pqrs serve: GET http://127.0.0.1:$PORT/healthz -> 200, $(head -c 60 "$work/healthz")..."

user=$("${E[@]}" exec "$NAME" id -un) || die "$ENGINE exec failed"
[ "$user" = pqrs ] || die "the server runs as '$user', not pqrs"
out=$("${E[@]}" exec "$NAME" pqrs migrate 2>&1) || die "pqrs migrate in the running container failed: $out"
grep -q 'migrations applied (sqlite)' <<<"$out" || die "pqrs migrate said: $out"
say "pqrs migrate (in the running container, as $user): ok"

"${E[@]}" stop -t 30 "$NAME" >/dev/null || die "$ENGINE stop failed"
status=$("${E[@]}" inspect -f '{{.State.ExitCode}}' "$NAME")
[ "$status" = 0 ] || { "${E[@]}" logs "$NAME" 2>&1 | tail -10 >&2; die "pqrs serve exited with $status on SIGTERM, not 0"; }
say "stopped (SIGTERM), exit code 0"
say "OK"
