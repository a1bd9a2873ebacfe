#!/bin/sh
# The gateway container's entrypoint: renders nginx.conf.template with envsubst, exactly as the
# local stack renders it (compose/stack/gateway.mjs): every upper-case name in dollar-braces in the
# template is a variable, all required, and nothing else is substituted. Then runs nginx in the
# foreground as the image's non-root user.
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
mkdir -p "$RUN_DIR"
envsubst "$(printf '${%s} ' $names)" <"$template" >"$RUN_DIR/nginx.conf"
if [ "${1:-}" = "render" ]; then
  cat "$RUN_DIR/nginx.conf"
  exit 0
fi
exec nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -e stderr "$@"
