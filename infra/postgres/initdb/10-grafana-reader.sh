#!/bin/sh
# postgres image, first start of an empty volume: creates grafana_reader (../grafana-reader.sql,
# mounted at /etc/wabulk/postgres) as POSTGRES_USER, the owner of the tables migrations create.
set -e
psql -v ON_ERROR_STOP=1 -v reader_password="${GRAFANA_READER_PASSWORD:?set GRAFANA_READER_PASSWORD}" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f /etc/wabulk/postgres/grafana-reader.sql
