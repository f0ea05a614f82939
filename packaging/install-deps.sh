#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build and test dependencies of collect when they are missing:
# apt-get on Debian/Ubuntu, dnf on Fedora/RHEL. Does nothing when all are present.
set -eu

DEB_PKGS="gcc g++ make pkg-config libyaml-dev libarchive-dev libcurl4-openssl-dev zlib1g-dev
libjansson-dev libpcre2-dev libssl-dev libsystemd-dev libmicrohttpd-dev libcmocka-dev
python3 python3-pytest systemd-journal-remote diffutils patch tar gzip iproute2 procps
dbus-daemon time pmccabe libdeflate-dev man-db ansible-core python3-yaml openssl clang-format"
RPM_PKGS="gcc libstdc++-devel make pkgconf-pkg-config libyaml-devel libarchive-devel libcurl-devel zlib-devel
jansson-devel pcre2-devel openssl-devel systemd-devel libmicrohttpd-devel libcmocka-devel
python3 python3-pytest systemd-journal-remote diffutils patch tar gzip iproute procps-ng
dbus-daemon time libdeflate-devel man-db ansible-core python3-pyyaml openssl"

if command -v dpkg-query >/dev/null 2>&1; then
        missing=""
        for p in $DEB_PKGS; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
                        missing="$missing $p"
        done
        [ -z "$missing" ] && exit 0
        echo "installing:$missing" >&2
        if [ "$(id -u)" -ne 0 ]; then
                echo "make deps: run as root (or install:$missing)" >&2
                exit 1
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
elif command -v rpm >/dev/null 2>&1; then
        missing=""
        for p in $RPM_PKGS; do
                rpm -q "$p" >/dev/null 2>&1 || missing="$missing $p"
        done
        [ -z "$missing" ] && exit 0
        # shellcheck disable=SC2086
        dnf install -y $missing
else
        echo "make deps: unknown package manager; install the libraries listed in README.md" >&2
        exit 1
fi
