#!/usr/bin/env bash
# Thin wrapper: see hugepages.sh for usage and exit codes.
exec "$(dirname "${BASH_SOURCE[0]}")/hugepages.sh" reserve "$@"
