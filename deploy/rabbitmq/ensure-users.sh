#!/bin/sh
# Run by the rabbitmq container's health check: one user per service (passwords from .env, never
# from this file), and no guest account. The administrator (RABBITMQ_USER) is made by the image
# from RABBITMQ_DEFAULT_USER/PASS, which also keeps it from creating guest. Idempotent.
set -eu
rabbitmq-diagnostics -q ping >/dev/null
existing=$(rabbitmqctl -q list_users | cut -f1)
for service in detention readmission voluntary_return; do
  var="RABBITMQ_$(echo "$service" | tr a-z A-Z)_PASSWORD"
  eval "password=\${$var:-}"
  if [ -z "$password" ]; then echo "no $var in the environment" >&2; exit 1; fi
  if ! printf '%s\n' "$existing" | grep -qx "$service"; then
    rabbitmqctl -q add_user "$service" "$password"
    # Every process declares the whole topology (exchanges, queues, dead letters) so that no event
    # is lost before its consumer first starts: each needs configure/write/read on the vhost.
    rabbitmqctl -q set_permissions -p / "$service" '.*' '.*' '.*'
  fi
done
if printf '%s\n' "$existing" | grep -qx guest; then rabbitmqctl -q delete_user guest; fi
