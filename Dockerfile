# syntax=docker/dockerfile:1
#
# capsim in a container: build with Cargo, ship only the binary and the shipped scenarios.
#
#   docker build -t capsim:0.1.0 .
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/out:/data/out" \
#       capsim:0.1.0 run /opt/capsim/scenarios/aws-openai-2026.toml   # writes ./out/aws-openai-2026/
#
# deploy/kubernetes/README.md shows how to push the image and run sharded jobs on a cluster.

# The toolchain is pinned so rebuilding an old tag gives the same binary; any release at or
# above Cargo.toml's `rust-version` (1.89) builds it. Builder and runtime must be the same
# Debian release (bookworm here) so the binary finds the glibc it was linked against.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS builder
WORKDIR /build
# Only what `cargo build` reads: the manifest and lockfile, the sources, and the bench files
# (Cargo.toml declares `[[bench]]` targets, and Cargo checks that their files exist).
COPY Cargo.toml Cargo.lock ./
COPY src/ src/
COPY benches/ benches/
# --locked: build exactly the dependency versions in Cargo.lock, or fail.
# The cache mounts keep the crate downloads and compiled dependencies between builds (BuildKit);
# `target/` is a cache mount, so the binary is copied out of it in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && install -m 0755 target/release/capsim /usr/local/bin/capsim

FROM debian:bookworm-slim AS runtime
# capsim needs nothing beyond glibc (libc, libm, libgcc_s are in the base image): charts embed
# their font, and there is no TLS or network code, so no extra packages are installed.
COPY --from=builder /usr/local/bin/capsim /usr/local/bin/capsim
# The shipped scenarios, at the path the Kubernetes manifests use. Variants `extends` the base
# by a relative path, so the folder is copied whole.
COPY scenarios/ /opt/capsim/scenarios/
# A fixed, numeric, unprivileged user: Kubernetes' `runAsNonRoot` can only verify a numeric
# USER, and the manifests' `fsGroup` uses the same id to make mounted volumes writable.
RUN groupadd --system --gid 10001 capsim \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --create-home capsim
USER 10001:10001
# Relative paths (the default `out/<scenario>/`) land in the user's writable home.
WORKDIR /data
ENTRYPOINT ["capsim"]
CMD ["--help"]
