#!/bin/bash
# SPDX-License-Identifier: BSL-1.0
# The .deb, as the README makes it: a Release build of this source with dpkg-buildflags in
# its own build directory (kept between runs, so a re-run only rebuilds what changed),
# `cpack -G DEB`, then its metadata (dpkg-deb -I; Depends covers every library the programs
# load), its exact file list (dpkg-deb -c), conffiles and maintainer scripts, lintian (no
# error, warning or info tag), hardening-check on the programs, the man pages (every key of
# --print-config in echomux(1) and echomux.conf(5), every option of the tools' commands in
# theirs, all rendered without warnings), and the unpacked programs run. On success it names
# the .deb in WORK_DIR/deb-checked for the tests that install it (deb_test_lib.sh).
# Exits 77 (ctest: skipped) when a tool is missing.
# Usage: package_test.sh SOURCE_DIR WORK_DIR PROJECT_VERSION
set -eu
src=$(cd "$1" && pwd)
work=$2
version=$3

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
for tool in cmake cpack dpkg-deb dpkg-shlibdeps dpkg-buildflags dpkg-architecture lintian hardening-check help2man groff gzip readelf; do
    command -v $tool >/dev/null 2>&1 || skip "$tool is not installed (./scripts/install-deps.sh --test installs it)"
done

build=$work/build
mkdir -p "$work"
rm -f "$work/deb-checked"
tmp=$(mktemp -d /tmp/echomux-package-XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT

echo "== build and package ($build)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DECHOMUX_TESTS=OFF -DECHOMUX_DEB_BUILDFLAGS=ON >"$tmp/configure.log" 2>&1 \
    || { cat "$tmp/configure.log"; fail "configure"; }
grep -q "building without man pages" "$tmp/configure.log" && fail "configure left the man pages out"
cmake --build "$build" -j2 >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log"; fail "build"; }
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB) >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$build/echomux_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { ls "$build"; fail "cpack made no $(basename "$deb")"; }

echo "== metadata (dpkg-deb -I)"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = echomux ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the CMake project version is $version"
[ "$(field Section)" = net ] || fail "Section is '$(field Section)'"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
depends=$(field Depends)
echo "Depends: $depends"
has_dep() { case ", $depends," in *", $1,"* | *", $1 ("*) ;; *) return 1 ;; esac; }
# adduser for postinst; the io_uring and TLS libraries, as the issue asked.
for dep in adduser liburing2 libssl3; do
    has_dep $dep || fail "Depends lacks $dep"
done

echo "== contents (dpkg-deb -c)"
expected="./etc/echomux/echomux.conf
./usr/bin/echomux
./usr/bin/echomux-bench
./usr/bin/echomux-client
./usr/share/bash-completion/completions/echomux
./usr/share/bash-completion/completions/echomux-bench -> echomux
./usr/share/bash-completion/completions/echomux-client -> echomux
./usr/share/doc/echomux/README.md
./usr/share/doc/echomux/changelog.gz
./usr/share/doc/echomux/copyright
./usr/share/lintian/overrides/echomux
./usr/share/man/man1/echomux-bench.1.gz
./usr/share/man/man1/echomux-client.1.gz
./usr/share/man/man1/echomux.1.gz
./usr/share/man/man5/echomux.conf.5.gz"
# The systemd units, once deploy/systemd/ has them.
for unit in "$src"/deploy/systemd/*.service "$src"/deploy/systemd/*.socket; do
    [ -f "$unit" ] && expected="$expected
./lib/systemd/system/$(basename "$unit")"
done
expected=$(sort <<<"$expected")
# Files and links only (directories follow from them): the name is everything after the time.
actual=$(dpkg-deb -c "$deb" | grep -v '^d' | sed -E 's/^([^ ]+ +){5}//' | sort)
if [ "$actual" != "$expected" ]; then
    diff <(echo "$expected") <(echo "$actual") || true
    fail "file list differs (< expected, > in the package)"
fi

echo "== control files"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/echomux/echomux.conf ] || fail "conffiles: $(cat "$tmp/control/conffiles")"
for script in postinst prerm postrm; do
    [ "$(stat -c %a "$tmp/control/$script")" = 755 ] || fail "$script is not mode 755"
    sh -n "$tmp/control/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system --group' "$tmp/control/postinst" || fail "postinst makes no system user"
# Users stay on purge (packaging/deb/postrm says why); dpkg_test.sh checks it for real.
grep -v '^ *#' "$tmp/control/postrm" | grep -qE 'deluser|delgroup|userdel|groupdel' && fail "postrm removes a user"
for script in postinst prerm postrm; do
    grep -q 'deb-systemd-' "$tmp/control/$script" || fail "$script has no systemd handling"
done

echo "== lintian"
# Info tags too (-I); the overrides (packaging/deb/lintian-overrides) show, with their reason.
status=0
lintian --allow-root -I --show-overrides "$deb" >"$tmp/lintian.log" 2>&1 || status=$?
cat "$tmp/lintian.log"
grep -q '^[EWI]: ' "$tmp/lintian.log" && fail "lintian reports tags (E: error, W: warning, I: info)"
# Without a tag, lintian exits 0; anything else is lintian failing to run, never a pass.
[ $status = 0 ] || fail "lintian exited $status"

echo "== unpacked programs"
dpkg-deb -x "$deb" "$tmp/x"
bin=$tmp/x/usr/bin
"$bin/echomux" --version | grep -qF "$version" || fail "echomux --version does not say $version"
"$bin/echomux" --config "$tmp/x/etc/echomux/echomux.conf" --print-config >"$tmp/print-config" \
    || fail "echomux --print-config with the packaged conf file"
cmp -s "$tmp/x/etc/echomux/echomux.conf" "$src/conf/echomux.conf" || fail "packaged conf differs from conf/echomux.conf"
for program in echomux echomux-client echomux-bench; do
    readelf -S "$bin/$program" | grep -q '\.symtab' && fail "$program is not stripped"
done

echo "== hardening-check (dpkg-buildflags: PIE, stack protector, FORTIFY, relro, BIND_NOW)"
# Not control-flow protection: Debian 12's dpkg-buildflags has no -fcf-protection (dpkg 1.22
# adds it, and it would then come by itself). Stack clash is reported, not required.
hardening-check --nocfprotection "$bin"/echomux "$bin"/echomux-client "$bin"/echomux-bench ||
    fail "hardening-check: a program lacks a hardening feature"

echo "== Depends against what the programs load"
# Each shared library the programs need, found on this (build) host and named by its
# package: Depends must name that package (dpkg-shlibdeps computes it; nothing is typed).
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)  # not the lib32 copies of the same names
for lib in $(for program in "$bin"/*; do readelf -d "$program"; done | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u); do
    owner=$(dpkg-query -S "*/$multiarch/$lib" 2>/dev/null | head -n 1 | cut -d: -f1) || true
    [ -n "$owner" ] || fail "no package on this host holds $lib"
    has_dep "$owner" || fail "the programs load $lib ($owner), which Depends lacks"
    echo "$lib: $owner"
done

echo "== man pages"
keys=$(sed -n -E 's/^([a-z_]+) =.*/\1/p' "$tmp/print-config")
[ "$(wc -l <<<"$keys")" -ge 20 ] || fail "--print-config listed only: $keys"
for page in man1/echomux.1 man1/echomux-client.1 man1/echomux-bench.1 man5/echomux.conf.5; do
    zcat "$tmp/x/usr/share/man/$page.gz" >"$tmp/page"
    warnings=$(groff -man -Tutf8 -ww -z "$tmp/page" 2>&1)
    [ -z "$warnings" ] || { echo "$warnings"; fail "$page renders with warnings"; }
    # One long line per paragraph and no hyphenation, so no name is split.
    groff -man -Tascii -rLL=1000n -rHY=0 "$tmp/page" 2>/dev/null | col -bx >"$tmp/$(basename "$page").txt"
done
for key in $keys; do
    grep -qE -- "--${key//_/-}( |$)" "$tmp/echomux.1.txt" || fail "echomux(1) does not mention --${key//_/-}"
    grep -qE -- "(^| )$key = " "$tmp/echomux.conf.5.txt" || fail "echomux.conf(5) does not list $key"
done
# The tools' pages: every option of each subcommand's --help.
for tool in "echomux-client two-socket" "echomux-client udp" "echomux-bench run" "echomux-bench compare"; do
    for flag in $("$bin/${tool%% *}" ${tool#* } --help | grep -o -E -- '--[a-z][a-z0-9-]*' | sort -u); do
        grep -qE -- "$flag( |$)" "$tmp/${tool%% *}.1.txt" || fail "${tool%% *}(1) does not mention $flag ($tool)"
    done
done
grep -q 'no-manual-page' "$tmp/lintian.log" && fail "lintian: a program has no man page"

echo "== bash completion from the package"
PATH=$bin:$PATH bash -c '
    source "$1/usr/share/bash-completion/completions/echomux-client"
    COMP_WORDS=(echomux --backend ""); COMP_CWORD=2; _echomux
    [ "${COMPREPLY[*]}" = "asio auto epoll epoll-level epoll-edge poll select io_uring" ] || { echo "got: ${COMPREPLY[*]}"; exit 1; }
' _ "$tmp/x" || fail "the packaged completion does not complete echomux --backend"

echo "$deb" >"$work/deb-checked"
echo "PASS"
