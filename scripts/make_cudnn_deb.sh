#!/usr/bin/env bash
# Packages the cuDNN 9 libraries of a folder as a local Debian package named nvidia-cudnn, so that
# Debian's libtorch-cuda (which depends on nvidia-cudnn, a downloader that needs NVIDIA's site)
# installs offline. The libraries go to /usr/lib/x86_64-linux-gnu/cudnn-local/ with an ld.so.conf.d
# entry; the version is above Debian's downloader so apt keeps the local one.
#   scripts/make_cudnn_deb.sh CUDNN_DIR OUT.deb
set -euo pipefail
src=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lib=$work/usr/lib/x86_64-linux-gnu/cudnn-local
mkdir -p "$lib" "$work/etc/ld.so.conf.d" "$work/DEBIAN"
cp -L "$src"/libcudnn*.so.9 "$lib/"
echo /usr/lib/x86_64-linux-gnu/cudnn-local >"$work/etc/ld.so.conf.d/cudnn-local.conf"
cat >"$work/DEBIAN/control" <<CONTROL
Package: nvidia-cudnn
Version: 9.99-local1
Architecture: amd64
Maintainer: ssa-train local build <root@localhost>
Provides: libcudnn9
Description: cuDNN 9 libraries copied from $src (local package)
 Stands in for Debian's nvidia-cudnn downloader; made by ssa-train's scripts/make_cudnn_deb.sh.
CONTROL
printf '#!/bin/sh\nset -e\nldconfig\n' >"$work/DEBIAN/postinst"
chmod 755 "$work/DEBIAN/postinst"
dpkg-deb --root-owner-group -Znone --build "$work" "$out" >/dev/null
echo "make_cudnn_deb.sh: $out ($(du -h "$out" | cut -f1)) from $src"
