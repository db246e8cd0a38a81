#!/usr/bin/env bash
# Checks the container image's contents without a Docker daemon: builds the release binary
# (unless BIN is given), assembles the root file system with deploy/rootfs.sh (as the
# Dockerfile does), starts Gatehouse from it under chroot as user 65532 on a loopback port and
# waits for /readyz. Before that, if podman is installed, it builds the Dockerfile's last stage
# (`FROM scratch` + that directory) and prints the image size. Needs root (chroot).
#   bash deploy/check-image.sh            # or BIN=target/release/gatehouse bash deploy/check-image.sh
# The image is built before the run, which writes a database into the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z ${BIN:-} ]]; then
    cargo build --release --locked --bin gatehouse
    BIN=target/release/gatehouse
fi
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
sh deploy/rootfs.sh "$BIN" "$work/rootfs"
echo "root file system: $(du -sb "$work/rootfs" | cut -f1) bytes"
find "$work/rootfs" -type f -printf '  %s\t%P\n'

if command -v podman >/dev/null; then
    printf 'FROM scratch\nCOPY rootfs/ /\nUSER 65532:65532\nENTRYPOINT ["/usr/local/bin/gatehouse"]\nCMD ["serve"]\n' >"$work/Containerfile"
    podman --storage-driver vfs build -q -f "$work/Containerfile" -t gatehouse-image-check "$work" >/dev/null
    podman --storage-driver vfs images --format 'image size: {{.Size}}' gatehouse-image-check
    podman --storage-driver vfs rmi gatehouse-image-check >/dev/null
else
    echo "podman is not installed: the image itself was not built (apt-get install podman)"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -i GATEHOUSE_SERVER__HOST=127.0.0.1 GATEHOUSE_SERVER__PORT="$port" \
    GATEHOUSE_DATA_DIR=/var/lib/gatehouse GATEHOUSE_LOG__FORMAT=json \
    "$(command -v chroot)" --userspec=65532:65532 "$work/rootfs" /usr/local/bin/gatehouse serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/serve.log"; echo "not ready"; exit 1; }
echo "started from the image's root file system as 65532: /readyz answers 200"
