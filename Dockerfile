# Gatehouse container image: build on Debian, run on distroless (glibc, no shell), as non-root.
#   docker build -t gatehouse .
# See docs/deployment.md. (Not built in this repository's CI: there is no Docker daemon there.)

FROM rust:1.94-slim-bookworm AS build
# aws-lc-rs (signing, TLS) builds its C code with cmake and a C compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake clang pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin gatehouse

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/gatehouse /usr/local/bin/gatehouse
# Listen on every interface inside the container; JSON logs for the log collector.
ENV GATEHOUSE_SERVER__HOST=0.0.0.0 \
    GATEHOUSE_SERVER__PORT=8080 \
    GATEHOUSE_DATA_DIR=/var/lib/gatehouse \
    GATEHOUSE_LOG__FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gatehouse"]
CMD ["serve"]
