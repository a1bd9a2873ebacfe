#!/bin/sh
# The gateway container's entrypoint: renders nginx.conf.template with envsubst, exactly as the
# local stack renders it (compose/stack/gateway.mjs): every upper-case name in dollar-braces in the
# template is a variable, all required, and nothing else is substituted; a *_UPSTREAMS list becomes
# one server directive per address. Then runs nginx in the foreground as the image's non-root user.
set -eu
GATEWAY_DIR=${GATEWAY_DIR:-/etc/verdict-gateway}
RUN_DIR=${RUN_DIR:-/run/gateway}
export GATEWAY_DIR RUN_DIR
template="$GATEWAY_DIR/nginx.conf.template"
if [ ! -r "$template" ]; then
  echo "gateway: configuration error: no template at $template" >&2
  exit 2
fi
names=$(grep -o '\${[A-Z][A-Z0-9_]*}' "$template" | sort -u | sed 's/^\${\(.*\)}$/\1/')
for name in $names; do
  if ! eval "[ -n \"\${$name+set}\" ]"; then
    echo "gateway: configuration error: $name is not set" >&2
    exit 2
  fi
done
# A *_UPSTREAMS variable lists host:port addresses (space-separated, one per replica): it becomes
# one "server <address>;" directive each, on one line, as upstreamServers() renders it.
for name in $names; do
  case $name in
    *_UPSTREAMS)
      eval "list=\$$name"
      servers=''
      for address in $list; do
        if ! printf '%s\n' "$address" | grep -Eqx '[A-Za-z0-9._-]+:[0-9]+'; then
          echo "gateway: configuration error: $name holds \"$address\", not a host:port" >&2
          exit 2
        fi
        servers="${servers:+$servers }server $address;"
      done
      if [ -z "$servers" ]; then
        echo "gateway: configuration error: $name names no upstream" >&2
        exit 2
      fi
      eval "$name=\$servers"
      export "$name"
      ;;
  esac
done
mkdir -p "$RUN_DIR"
envsubst "$(printf '${%s} ' $names)" <"$template" >"$RUN_DIR/nginx.conf"
if [ "${1:-}" = "render" ]; then
  cat "$RUN_DIR/nginx.conf"
  exit 0
fi
exec nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr "$@"
