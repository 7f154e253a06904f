#!/bin/bash
# Starts the staging target: authorized key, sshd, PostgreSQL, nginx, the first release,
# then supervisor (PID 1) with gunicorn. The public key comes from $AUTHORIZED_KEY.
set -Eeuo pipefail

install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
if [ -n "${AUTHORIZED_KEY:-}" ]; then
  printf '%s\n' "$AUTHORIZED_KEY" > /home/deploy/.ssh/authorized_keys
  chown deploy:deploy /home/deploy/.ssh/authorized_keys
  chmod 0600 /home/deploy/.ssh/authorized_keys
fi
unset AUTHORIZED_KEY

ssh-keygen -A -q
install -d -m 0755 /run/sshd
/usr/sbin/sshd
pg_ctlcluster 15 main start
nginx

if [ ! -e /srv/app/current ]; then
  release=/srv/app/releases/v-initial
  cp -a /opt/items-api "$release"
  chown -R deploy:deploy "$release"
  su deploy -c "bash $release/migrate.sh" >/dev/null
  ln -sfn "$release" /srv/app/current
  chown -h deploy:deploy /srv/app/current
  su deploy -c "printf '%s v-initial staging\n' $(date -u +%Y%m%d-%H%M%S) >> /srv/app/revisions.log"
fi

touch /run/target-ready
exec /usr/bin/supervisord -n -c /etc/supervisor/supervisord.conf
