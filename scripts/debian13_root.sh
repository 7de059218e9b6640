# Sourced by scripts/debian13_check.sh and bench/compare_versions.sh: a Debian 13 (trixie) root
# made with debootstrap, this tree copied into it at /root/ssa-train, and commands run there.
# Set `root` (an absolute path) before calling; run as root.

make_root() {  # once: kept between runs, with its packages and ccache
  [ -x "$root/usr/bin/apt-get" ] && return
  command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap
  echo "== debootstrap trixie into $root ($(date +%T))"
  debootstrap --variant=minbase --components=main,contrib,non-free trixie "$root" http://deb.debian.org/debian
}

mount_root() {  # /proc, /sys and /dev (with /dev/shm for Gloo and Open MPI); unmount_root undoes it
  for fs in proc sys dev; do
    mountpoint -q "$root/$fs" || mount --rbind "/$fs" "$root/$fs"
    mount --make-rslave "$root/$fs"
  done
  cp /etc/resolv.conf /etc/hosts "$root/etc/"  # the host's own name resolves there too (srun's master)
}

unmount_root() {
  for fs in dev sys proc; do umount -R "$root/$fs" 2>/dev/null || true; done
}

copy_tree() {  # the working tree as git sees it (tracked and untracked, not ignored)
  rm -rf "$root/root/ssa-train"
  mkdir -p "$root/root/ssa-train"
  if command -v git > /dev/null && git rev-parse --git-dir > /dev/null 2>&1; then
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$root/root/ssa-train" -xf -
  else  # no git on CI's fresh machine: .gitignore's top-level folders by hand
    tar --exclude=./.git --exclude='./build*' --exclude=./runs --exclude=./data --exclude=./.whl --exclude=./.gl \
      --exclude=./gpu-debs --exclude=./gpu-out --exclude=.cache --exclude=__pycache__ --exclude='*.pyc' -cf - . |
      tar -C "$root/root/ssa-train" -xf -
  fi
}

in_root() {  # a clean environment; the commit for --version, as the copy has no .git
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
    SSA_GIT_COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
    bash -c "cd /root/ssa-train && $1"
}
