# Gatehouse container image: build on Debian, run from scratch: the binary, the four glibc
# libraries it links and nothing else (no shell, no package manager), as the non-root user 65532.
#   docker build -t gatehouse .
# See docs/deployment.md. `deploy/check-image.sh` assembles and runs the same root file system
# without Docker and measures the image (about 33 MB).

FROM rust:1.94-slim-bookworm AS build
# aws-lc-rs (signing, TLS) builds its C code with cmake and a C compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake clang pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin gatehouse \
    && sh deploy/rootfs.sh target/release/gatehouse /rootfs

FROM scratch
COPY --from=build /rootfs/ /
# Listen on every interface inside the container; JSON logs for the log collector.
ENV GATEHOUSE_SERVER__HOST=0.0.0.0 \
    GATEHOUSE_SERVER__PORT=8080 \
    GATEHOUSE_DATA_DIR=/var/lib/gatehouse \
    GATEHOUSE_LOG__FORMAT=json
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/gatehouse"]
CMD ["serve"]
