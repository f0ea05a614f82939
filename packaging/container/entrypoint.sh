#!/bin/sh
# SPDX-License-Identifier: MIT
# Entrypoint of the collect image: runs collect against the host mounted
# read-only at $COLLECT_HOST_ROOT (default /host), its journal included.
#   entrypoint.sh                  collect watch (the DaemonSet)
#   entrypoint.sh ARGS...          collect ARGS... (a verb or options: a one-off run)
# The portal credentials come from a mounted Secret ($COLLECT_SECRET_DIR with
# the keys "email" and "token"); they are copied into a private 0600 file that
# the configuration names (portal.credentials: /run/collect/credentials) and
# never pass through the command line.
set -eu

bin=${COLLECT_BIN:-/usr/bin/collect}
host=${COLLECT_HOST_ROOT:-/host}
config=${COLLECT_CONFIG_FILE:-/etc/collect/collect.yaml}
secrets=${COLLECT_SECRET_DIR:-/etc/collect-secret}
run=${COLLECT_RUN_DIR:-/run/collect}
state=${COLLECT_STATE_DIR:-/var/lib/collect}
spool=${COLLECT_SPOOL_DIR:-/var/spool/collect}
output=${COLLECT_OUTPUT_DIR:-$state/bundles}
listen=${COLLECT_LISTEN:-127.0.0.1:9099}

umask 077
mkdir -p "$run" "$state" "$spool" "$output"

if [ -r "$secrets/token" ]; then
        {
                if [ -r "$secrets/email" ]; then
                        printf 'email: "%s"\n' "$(cat "$secrets/email")"
                fi
                printf 'token: "%s"\n' "$(cat "$secrets/token")"
        } > "$run/credentials.new"
        chmod 0600 "$run/credentials.new"
        mv -f "$run/credentials.new" "$run/credentials"
fi

if [ ! -d "$host" ]; then
        echo "entrypoint: the host's / is not mounted at $host" >&2
        exit 66
fi
# The node's persistent journal, else its volatile one; none: --root alone.
journal=
for j in "$host/var/log/journal" "$host/run/log/journal"; do
        if [ -d "$j" ]; then
                journal=$j
                break
        fi
done

set -- "${@:-watch}"
case $1 in
watch)
        shift
        set -- watch --listen "$listen" "$@"
        ;;
esac

if [ -f "$config" ]; then
        set -- "$@" --config "$config"
fi
if [ -n "$journal" ]; then
        set -- "$@" --journal-dir "$journal"
fi
exec "$bin" "$@" --root "$host" --state-dir "$state" --spool-dir "$spool" --output "$output"
