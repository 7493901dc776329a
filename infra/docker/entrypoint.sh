#!/bin/sh
# Picks the wabulk process from the container's command (see infra/docker/Dockerfile).
# `exec` replaces the shell with Node, so `docker stop`'s SIGTERM reaches the app itself: a worker
# stops taking jobs and lets in-flight sends finish before it exits.
set -e
cd /app
case "${1:-worker}" in
  worker) [ "$#" -gt 0 ] && shift; exec node apps/worker/dist/main.js "$@" ;;
  sim) shift; exec node apps/kaleyra-sim/dist/main.js "$@" ;;
  *) exec node apps/cli/dist/main.js "$@" ;;
esac
