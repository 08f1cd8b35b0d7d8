#!/usr/bin/env bash
# Test servers on loopback: PostgreSQL, Dovecot (IMAP 14143, IMAPS 14993) and aiosmtpd SMTP sinks
# (plain 12525, STARTTLS 12587, implicit TLS 12465) that deliver into the Dovecot user's Maildir.
#   tests/servers.sh ensure   install what is missing (Debian packages, as root) and start it;
#                             also Chromium and ChromeDriver for the browser test, and axe-core
#                             (npm, pinned below) for its accessibility checks
#   tests/servers.sh env      print the PQRS_TEST_* variables for the running servers
#   tests/servers.sh stop     stop what ensure started (not a PostgreSQL the machine already ran)
# Adapted from the project's tested recipe; state lives under $PQRS_TEST_STATE (default
# /tmp/pqrs-test-servers). Dovecot keeps an inherited stderr open, so it never runs on a pipe.
set -euo pipefail
R=${PQRS_TEST_STATE:-/tmp/pqrs-test-servers}
# axe-core from the npm registry, pinned, installed outside the repository (never vendored).
AXE_VERSION=4.14.1
AXE_DIR=${PQRS_TEST_AXE_DIR:-$R/axe-core-$AXE_VERSION}
AXE_JS=$AXE_DIR/node_modules/axe-core/axe.min.js
PG_PORT=5432 IMAP_PORT=14143 IMAPS_PORT=14993 SMTP_PORT=12525 SMTP_STARTTLS_PORT=12587 SMTP_TLS_PORT=12465

log() { echo "servers: $*" >&2; }
port_up() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do port_up "$1" && return 0; sleep 0.1; done; log "port $1 did not come up"; return 1; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then log "need root to install $*"; return 1; fi
  if [ $apt_updated = 0 ]; then apt-get update -qq; apt_updated=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# mkdir -p that opens (755) only the folders it creates itself: Dovecot's mail user must traverse
# the state folder, but a folder that was already there, such as /tmp, keeps its owner's mode.
mkdir_open() {
  local d p new
  for d in "$@"; do
    new=() p=$d
    while [ ! -e "$p" ]; do new+=("$p"); p=$(dirname "$p"); done
    mkdir -p "$d"
    if [ ${#new[@]} -gt 0 ]; then chmod 755 "${new[@]}"; fi
  done
}

# Dovecot reads the Maildirs as user mail: every folder above them must let others through.
check_traversable() {
  [ "$(id -u)" = 0 ] || return 0
  local p=$1 up=() i
  while [ "$p" != / ]; do p=$(dirname "$p"); up=("$p" "${up[@]}"); done
  for i in "${up[@]}"; do
    if ! runuser -u mail -- test -x "$i"; then
      log "user mail cannot enter $i (mode $(stat -c %a "$i")), so Dovecot cannot read $1; set PQRS_TEST_STATE to a folder under world-searchable ones"
      return 1
    fi
  done
}

pg_admin_ok() { psql "$1" -qtAc 'SELECT 1' >/dev/null 2>&1; }

ensure_postgres() {
  mkdir_open "$R"
  command -v psql >/dev/null || apt_install postgresql-client
  if ! port_up $PG_PORT; then
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then apt_install postgresql; fi
    local ver; ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
    [ -d /etc/postgresql/"$ver"/main ] || pg_createcluster "$ver" main >/dev/null
    log "starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start
    touch "$R"/pg-started-by-us
    wait_port $PG_PORT
  fi
  # An admin URL that may create databases: trust auth as postgres (CI machines), else our role.
  if pg_admin_ok "postgres://postgres@127.0.0.1:$PG_PORT/postgres"; then
    echo "postgres://postgres@127.0.0.1:$PG_PORT/postgres" > "$R"/pg-url
  else
    su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='pqrs_test'\" | grep -q 1 || psql -qc \"CREATE ROLE pqrs_test LOGIN CREATEDB PASSWORD 'pqrs_test'\"" >/dev/null
    echo "postgres://pqrs_test:pqrs_test@127.0.0.1:$PG_PORT/postgres" > "$R"/pg-url
    pg_admin_ok "$(cat "$R"/pg-url)" || { log "cannot log in to PostgreSQL on 127.0.0.1:$PG_PORT"; return 1; }
  fi
}

write_dovecot_conf() {
  mkdir_open "$R" "$R"/run "$R"/state "$R"/vmail "$R"/tls
  check_traversable "$R"/vmail
  echo 'pqrs:{PLAIN}secret' > "$R"/users
  if [ ! -f "$R"/tls/server.pem ]; then (
    cd "$R"/tls
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=PQRS Test CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 3650 -extfile ext.cnf 2>/dev/null
    chmod 644 server.key )
  fi
  cat > "$R"/dovecot.conf <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $R/run
state_dir = $R/state
log_path = $R/dovecot.log
ssl = yes
ssl_cert = <$R/tls/server.pem
ssl_key = <$R/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$R/vmail/%n/Maildir
first_valid_uid = 8
first_valid_gid = 8
mail_uid = mail
mail_gid = mail
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $R/users
}
userdb {
  driver = static
  args = home=$R/vmail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
protocol imap {
  mail_max_userip_connections = 100
}
CONF
  # Two users: pqrs (the contact mailbox) and citizen (where SMTP sinks deliver, read back by tests).
  echo 'citizen:{PLAIN}secret' >> "$R"/users
  mkdir -p "$R"/vmail/pqrs/Maildir/{cur,new,tmp} "$R"/vmail/citizen/Maildir/{cur,new,tmp}
  chown -R mail:mail "$R"/vmail
}

ensure_mail() {
  command -v dovecot >/dev/null || apt_install dovecot-imapd
  command -v openssl >/dev/null || apt_install openssl
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || apt_install python3-aiosmtpd
  if ! port_up $IMAP_PORT; then
    write_dovecot_conf
    log "starting Dovecot"
    dovecot -c "$R"/dovecot.conf </dev/null >>"$R"/dovecot.start.log 2>&1
  fi
  sink() { # port, extra args; runs as user mail so Dovecot can read the files
    local port=$1; shift
    port_up "$port" && return 0
    runuser -u mail -- /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:"$port" "$@" \
      -c aiosmtpd.handlers.Mailbox "$R"/vmail/citizen/Maildir </dev/null >"$R"/smtp-"$port".log 2>&1 &
    echo $! > "$R"/smtp-"$port".pid
  }
  sink $SMTP_PORT
  sink $SMTP_STARTTLS_PORT --tlscert "$R"/tls/server.pem --tlskey "$R"/tls/server.key
  sink $SMTP_TLS_PORT --smtpscert "$R"/tls/server.pem --smtpskey "$R"/tls/server.key
  for p in $IMAP_PORT $IMAPS_PORT $SMTP_PORT $SMTP_STARTTLS_PORT $SMTP_TLS_PORT; do wait_port "$p"; done
}

ensure_browser() {
  command -v chromedriver >/dev/null && command -v chromium >/dev/null || apt_install chromium chromium-driver
}

ensure_axe() {
  [ -f "$AXE_JS" ] && return 0
  command -v npm >/dev/null || apt_install npm
  log "installing axe-core $AXE_VERSION into $AXE_DIR"
  mkdir -p "$AXE_DIR"
  npm install --prefix "$AXE_DIR" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" >/dev/null
  [ -f "$AXE_JS" ] || { log "npm did not install $AXE_JS"; return 1; }
}

ensure() {
  ensure_postgres
  ensure_mail
  ensure_browser
  ensure_axe
  log "all test servers up"
}

env() {
  cat <<ENV
export PQRS_TEST_PG_URL=$(cat "$R"/pg-url)
export PQRS_TEST_IMAP=127.0.0.1:$IMAP_PORT PQRS_TEST_IMAPS=127.0.0.1:$IMAPS_PORT PQRS_TEST_CA=$R/tls/ca.pem
export PQRS_TEST_MAILDIR_ROOT=$R/vmail
export PQRS_TEST_CHROMEDRIVER=$(command -v chromedriver || true) PQRS_TEST_CHROMIUM=$(command -v chromium || true)
export PQRS_TEST_AXE=$([ -f "$AXE_JS" ] && echo "$AXE_JS")
export PQRS_TEST_SMTP=127.0.0.1:$SMTP_PORT PQRS_TEST_SMTP_STARTTLS=127.0.0.1:$SMTP_STARTTLS_PORT PQRS_TEST_SMTP_TLS=127.0.0.1:$SMTP_TLS_PORT
ENV
}

stop() {
  for p in $SMTP_PORT $SMTP_STARTTLS_PORT $SMTP_TLS_PORT; do
    [ -f "$R"/smtp-$p.pid ] && kill "$(cat "$R"/smtp-$p.pid)" 2>/dev/null || true
    rm -f "$R"/smtp-$p.pid
  done
  [ -f "$R"/run/master.pid ] && doveadm -c "$R"/dovecot.conf stop 2>/dev/null || true
  if [ -f "$R"/pg-started-by-us ]; then
    pg_ctlcluster "$(ls /usr/lib/postgresql | sort -n | tail -1)" main stop 2>/dev/null || true
    rm -f "$R"/pg-started-by-us
  fi
}

"${1:?ensure|env|stop}"
