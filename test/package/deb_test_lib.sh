# SPDX-License-Identifier: BSL-1.0
# Sourced by the tests that install the .deb package_test.sh checked (dpkg_test.sh,
# systemd_test.sh): skip (ctest's 77) when they cannot run here, and that .deb, which
# package_test.sh names in its WORK_DIR/deb-checked only when it passed.
skip() { echo "SKIP: $*"; exit 77; }
need() {  # TOOL...: root and these programs, or skip
    local tool
    [ "$(id -u)" = 0 ] || skip "needs root"
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
    done
}
use_checked_deb() {  # PACKAGE_WORK_DIR: sets deb, version and depends, or skips
    [ -f "$1/deb-checked" ] || skip "the package test made no .deb (run ctest -R '^package')"
    deb=$(cat "$1/deb-checked")
    [ -f "$deb" ] || skip "$deb is gone"
    version=$(dpkg-deb -f "$deb" Version)
    depends=$(dpkg-deb -f "$deb" Depends)
}
