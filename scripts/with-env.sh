#!/usr/bin/env bash
# with-env.sh ENV_FILE CMD...: run CMD with the KEY=VALUE lines of ENV_FILE
# exported (the generated test credentials), without echoing them.
set -euo pipefail
env_file=$1; shift
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
exec "$@"
