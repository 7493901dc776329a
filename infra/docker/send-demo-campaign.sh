#!/bin/sh
# Queues a demo campaign through the CLI: N recipients (default 3000) and 3 bad rows, so the
# dashboard fills (throughput, a few WA500 retries from the simulator, rejected inputs).
set -e
n="${1:-3000}"
csv=/tmp/recipients.csv
awk -v n="$n" 'BEGIN { print "to"; for (i = 0; i < n; i++) printf "+9198%08d\n", i; print "not-a-phone"; print "12345"; print "+1" }' > "$csv"
exec node /app/apps/cli/dist/main.js send --campaign "demo-$(date +%Y%m%d%H%M%S)" --csv "$csv" \
  --body "Hello from the wabulk compose demo"
