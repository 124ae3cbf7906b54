#!/bin/bash
# numa-runtime quick start on a fresh Debian 12 machine (run as root).
#
#   contrib/quickstart.sh demo   install build deps, build, run a container
#                                placed by numa-runtime and show what it sees
#   contrib/quickstart.sh test   install, build, run every suite and print
#                                "N passed, N failed, N skipped"
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential autoconf automake pkg-config
  libyajl-dev libnuma-dev libseccomp-dev libcap-dev libinih-dev libcmocka-dev scdoc
  clang-format cppcheck clang-tidy shellcheck gcovr dash clang libclang-rt-14-dev
  runc crun busybox-static jq bats hyperfine numactl strace bc git procps man-db seccomp systemd
  containerd nodejs npm
  prometheus prometheus-node-exporter curl python3 python3-yaml
  qemu-system-x86 cpio kmod zstd xz-utils e2fsprogs debootstrap
  debhelper dpkg-dev fakeroot podman docker.io
)

# What was installed, for the end of the test log (tests/summarize.sh).
record=tests/quickstart-packages.txt

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  # The machine image may already carry a newer node/npm than Debian's.
  if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs/}")
    missing=("${missing[@]/npm/}")
  fi
  read -ra missing <<<"${missing[*]}"
  if ((${#missing[@]} > 0)); then
    echo "== installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  {
    echo "installed now (${#missing[@]}): ${missing[*]:-none}"
    echo "the list (${#packages[@]}), as dpkg has them:" \
      "$(dpkg-query -W -f='${Package}=${Version} ' "${packages[@]}" 2>/dev/null)"
  } >"$record"
}

build() {
  echo "== building"
  if [ ! -f Makefile ]; then
    ./autogen.sh >/dev/null
    ./configure --quiet
  fi
  make -j"$(nproc)" >/dev/null
}

case "${1:-demo}" in
  demo)
    install_packages
    build
    make --no-print-directory demo
    ;;
  test)
    install_packages
    build
    exec make --no-print-directory check-all
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
