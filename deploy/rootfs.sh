#!/bin/sh
# Assembles the container image's whole root file system in DEST (the Dockerfile's last stage is
# `FROM scratch` + this directory): the binary, the shared libraries it links as ldd resolves
# them (so it works on any architecture), passwd/group entries for the non-root user 65532 and
# an empty data directory it owns. Nothing else: no shell, no package manager, no CA bundle
# (outbound TLS uses the roots compiled into the binary).
#   deploy/rootfs.sh target/release/gatehouse /rootfs
set -eu
bin=$1
dest=$2
mkdir -p "$dest/etc" "$dest/var/lib/gatehouse" "$dest/usr/local/bin"
ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    cp --parents -L "$lib" "$dest/"
done
cp "$bin" "$dest/usr/local/bin/gatehouse"
echo 'nonroot:x:65532:65532:nonroot:/var/lib/gatehouse:/sbin/nologin' >"$dest/etc/passwd"
echo 'nonroot:x:65532:' >"$dest/etc/group"
chown 65532:65532 "$dest/var/lib/gatehouse"
chmod 700 "$dest/var/lib/gatehouse"
