#!/usr/bin/env bash
# lab-mta.sh start|stop|restart|status — a real Postfix + Dovecot-SASL lab MTA on loopback.
#
# What it runs (all on 127.0.0.1, nothing else is touched):
#   LAB_PORT_PLAIN    (10025) plain SMTP; AUTH allowed in clear text (STARTTLS offered, optional)
#   LAB_PORT_STARTTLS (10587) submission; STARTTLS required (smtpd_tls_security_level=encrypt),
#                             AUTH only after STARTTLS (smtpd_tls_auth_only=yes)
#   LAB_PORT_TLS      (10465) implicit TLS (smtpd_tls_wrappermode=yes)
#   SASL: Dovecot auth service only (protocols = none): PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1
#         SCRAM-SHA-256, passwd-file with {PLAIN} passwords, auth_failure_delay = 0.
#   Users: tim/tanstaaftanstaaf  demo/demo  alice/wonderland
#   TLS:   self-signed lab CA + server cert for "localhost" (SAN DNS:localhost, IP:127.0.0.1,
#          IP:::1), made with openssl; kept across restarts, remade if missing or expiring.
#   Mail:  only SASL-authenticated clients may send (anything else: 554 Relay access denied).
#          EVERY recipient, whatever the domain (x@example.com too), is handed to one pipe
#          transport "labsink" (transport_maps = static:labsink) that writes one file per
#          recipient into $STATE/sink/<time>.<queueid>.<rcpt>.eml (atomically: *.tmp then
#          rename). There is no smtp/relay/lmtp/local service in master.cf, so nothing can
#          ever leave the box.
#
# How (the design choices, and why):
#   * Own config only. Postfix runs as a separate instance with `postfix -c $STATE/postfix`
#     (own main.cf/master.cf, queue_directory=$STATE/spool, data_directory=$STATE/data).
#     As root, -c needs no alternate_config_directories entry in /etc/postfix/main.cf, so
#     the system config (which may not even exist: "No configuration") is never touched.
#     Daemons are not chrooted (master.cf chroot column = n). Logs: maillog_file via postlogd
#     (no syslog needed) -> $STATE/log/postfix.log. `postfix check` must pass before start.
#   * Dovecot runs with `dovecot -c $STATE/dovecot/dovecot.conf`, base_dir/state_dir under
#     $STATE, log -> $STATE/log/dovecot.log. Its auth unix listener is
#     $STATE/spool/private/auth (owner postfix, 0660) = Postfix's smtpd_sasl_path private/auth.
#   * No systemd: daemons are started directly (postfix start / dovecot) and stopped by
#     `postfix stop` and by signalling dovecot's master.pid.
#   * Config files are regenerated on every start (cheap); TLS keys and the sink are kept.
#
# State dir: $LAB_MTA_DIR, default /var/tmp/smtp-tutor-lab (stable: tests look there).
#   lab.env   written by `start` once all three ports answer 220, removed by `stop`
#             ($LAB_MTA_ENV overrides this path, for the script and for the tests).
#             Shell-style KEY=value lines (value in double quotes when it holds a space);
#             tests read $LAB_MTA_ENV or /var/tmp/smtp-tutor-lab/lab.env.
#   tls/ca.pem  the CA to trust (LAB_CAFILE)      sink/  delivered mail (LAB_SINK)
#   log/postfix.log log/dovecot.log              postfix/ dovecot/ spool/ data/  internals
#
# Ports can be changed with LAB_PORT_PLAIN / LAB_PORT_STARTTLS / LAB_PORT_TLS in the
# environment of `start` (and `status`/`stop`, which probe the same ports);
# LAB_START_TIMEOUT (default 30 s) bounds the wait for the 220 banners.
# Needs root (re-executes itself with sudo -n if not root). Installs postfix/dovecot/
# openssl via ci-install-peers.sh when missing. start/stop are serialised by flock.
#
# Pitfalls this script handles (keep them in mind when editing):
#   * Postfix sleeps up to ~2.5 s when main.cf was modified in the last 2 s -> we back-date
#     the generated files.
#   * The daemons must not inherit our stdout/stderr (callers capturing output would hang)
#     nor the lock fd.
#   * PID 1 on these machines reaps orphans only now and then: a stopped master can linger
#     as a zombie, so "running" means alive, not a zombie, and named master/dovecot.
#   * Postfix's reply to a failed Dovecot auth is "535 5.7.8 Error: authentication
#     failed: (reason unavailable)" — that is the real text, not a bug here.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${LAB_MTA_DIR:-/var/tmp/smtp-tutor-lab}
LAB_HOST=127.0.0.1
PORT_PLAIN=${LAB_PORT_PLAIN:-10025}
PORT_STARTTLS=${LAB_PORT_STARTTLS:-10587}
PORT_TLS=${LAB_PORT_TLS:-10465}
START_TIMEOUT=${LAB_START_TIMEOUT:-30}
LAB_USERS="tim:tanstaaftanstaaf demo:demo alice:wonderland"

PF_CONF=$STATE/postfix
PF_QUEUE=$STATE/spool
PF_DATA=$STATE/data
DC_DIR=$STATE/dovecot
DC_CONF=$DC_DIR/dovecot.conf
DC_RUN=$DC_DIR/run
TLS_DIR=$STATE/tls
SINK=$STATE/sink
LOG_DIR=$STATE/log
ENV_FILE=${LAB_MTA_ENV:-$STATE/lab.env}
SINK_USER=nobody
SINK_GROUP=nogroup

POSTFIX=/usr/sbin/postfix
DOVECOT=/usr/sbin/dovecot
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'lab-mta: %s\n' "$*" >&2; }
die() { printf 'lab-mta: ERROR: %s\n' "$*" >&2; exit 1; }

case "$STATE" in
    /*) ;;
    *) die "LAB_MTA_DIR must be an absolute path (got '$STATE')" ;;
esac
[[ "$STATE" != *[[:space:]]* ]] || die "LAB_MTA_DIR must not contain spaces"

if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || die "must run as root (Postfix master needs it)"
    exec sudo -n env LAB_MTA_DIR="$STATE" LAB_MTA_ENV="$ENV_FILE" LAB_PORT_PLAIN="$PORT_PLAIN" \
        LAB_PORT_STARTTLS="$PORT_STARTTLS" LAB_PORT_TLS="$PORT_TLS" \
        LAB_START_TIMEOUT="$START_TIMEOUT" "$0" "$@"
fi

# ------------------------------------------------------------------ helpers ---------

ensure_installed() {
    if [[ -x $POSTFIX && -x $DOVECOT ]] && command -v openssl >/dev/null \
       && getent passwd postfix >/dev/null && getent passwd dovenull >/dev/null; then
        return 0
    fi
    log "postfix/dovecot/openssl missing: running ci-install-peers.sh"
    PEERS_ONLY="postfix dovecot-core openssl ca-certificates" "$SCRIPT_DIR/ci-install-peers.sh" 9>&-
}

# pid_alive FILE COMM -> true when FILE holds the pid of a live, non-zombie process
# whose name is COMM (so a stale pid file whose pid got reused is not "ours").
pid_alive() {
    local f=$1 comm=$2 pid state
    [[ -s $f ]] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 1
    # A daemon that exited stays a zombie until PID 1 reaps it; on this kind of machine
    # PID 1 reaps only now and then, so a zombie counts as dead.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

postfix_running() { pid_alive "$PF_QUEUE/pid/master.pid" master; }
dovecot_running() { pid_alive "$DC_RUN/master.pid" dovecot; }

# banner PORT MODE -> prints the first server line (MODE plain: TCP; tls: implicit TLS,
# certificate verified against our CA for host "localhost"). Bounded by timeout.
banner() {
    local port=$1 mode=$2
    if [[ $mode == tls ]]; then
        printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -connect "$LAB_HOST:$port" \
            -servername localhost -verify_hostname localhost -verify_return_error \
            -CAfile "$TLS_DIR/ca.pem" 2>/dev/null | head -n1 | tr -d '\r' || true
    else
        # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
        timeout 5 bash -c '
            exec 3<>"/dev/tcp/$0/$1" || exit 1
            IFS= read -r line <&3 || exit 1
            printf "QUIT\r\n" >&3
            printf "%s\n" "$line"' "$LAB_HOST" "$port" 2>/dev/null | tr -d '\r' || true
    fi
}

port_in_use() {  # something already accepts connections on 127.0.0.1:PORT
    # shellcheck disable=SC2016  # $0/$1 are expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$LAB_HOST" "$1" 2>/dev/null
}

# ------------------------------------------------------------------ generation ------

make_tls() {
    install -d -m 0755 "$TLS_DIR"
    if [[ -s $TLS_DIR/ca.pem && -s $TLS_DIR/server.pem && -s $TLS_DIR/server.key ]] \
       && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/server.pem" >/dev/null 2>&1 \
       && openssl x509 -checkend 86400 -noout -in "$TLS_DIR/ca.pem" >/dev/null 2>&1; then
        return 0
    fi
    log "creating lab CA and server certificate in $TLS_DIR"
    local tmp
    tmp=$(mktemp -d "$TLS_DIR/.new.XXXXXX")
    (
        cd "$tmp"
        umask 077
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
        openssl req -x509 -new -key ca.key -sha256 -days 3650 \
            -subj "/O=smtp-auth-tutor/CN=smtp-auth-tutor lab CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" \
            -out ca.pem
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key 2>/dev/null
        openssl req -new -key server.key -subj "/O=smtp-auth-tutor/CN=localhost" -out server.csr
        cat >server.ext <<'EOF'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -sha256 -days 825 -extfile server.ext -out server.pem 2>/dev/null
        openssl verify -CAfile ca.pem server.pem >/dev/null
        chmod 0644 ca.pem server.pem
        chmod 0600 ca.key server.key
    )
    mv -f "$tmp"/ca.key "$tmp"/ca.pem "$tmp"/server.key "$tmp"/server.pem "$TLS_DIR"/
    rm -rf "$tmp"
}

write_users() {
    # passwd-file: user:{PLAIN}password  (plaintext needed for CRAM-MD5 and SCRAM)
    local entry
    : >"$DC_DIR/users.new"
    for entry in $LAB_USERS; do
        printf '%s:{PLAIN}%s::::::\n' "${entry%%:*}" "${entry#*:}" >>"$DC_DIR/users.new"
    done
    chown root:dovecot "$DC_DIR/users.new"
    chmod 0640 "$DC_DIR/users.new"
    mv -f "$DC_DIR/users.new" "$DC_DIR/users"
}

write_dovecot_conf() {
    install -d -m 0755 "$DC_DIR" "$DC_DIR/state"
    write_users
    cat >"$DC_CONF" <<EOF
# Generated by scripts/lab-mta.sh — Dovecot used ONLY as the SASL server for Postfix.
protocols = none
instance_name = smtp-tutor-lab
base_dir = $DC_RUN
state_dir = $DC_DIR/state
log_path = $LOG_DIR/dovecot.log
ssl = no
listen = 127.0.0.1

# Lab: plaintext mechanisms are allowed without TLS (Postfix decides per port).
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
auth_failure_delay = 0
auth_verbose = yes
auth_verbose_passwords = no

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DC_DIR/users
}
userdb {
  driver = static
  args = uid=$SINK_USER gid=$SINK_GROUP home=/nonexistent
}

service auth {
  # Postfix: smtpd_sasl_type = dovecot, smtpd_sasl_path = private/auth
  unix_listener $PF_QUEUE/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
    doveconf -c "$DC_CONF" -n >/dev/null || die "dovecot config check failed ($DC_CONF)"
}

write_sink_script() {
    install -d -m 0755 "$STATE/bin"
    cat >"$STATE/bin/sink-deliver" <<'EOF'
#!/bin/sh
# Postfix pipe(8) target: store the message on stdin as one file.
# argv: SINKDIR QUEUE_ID RECIPIENT
set -eu
umask 022
dir=$1; qid=$2
rcpt=$(printf '%s' "$3" | tr -c 'A-Za-z0-9@._+=-' '_')
name="$(date +%s.%N).$qid.$rcpt"
cat >"$dir/.$name.tmp" || exit 75
mv "$dir/.$name.tmp" "$dir/$name.eml" || exit 75
EOF
    chmod 0755 "$STATE/bin/sink-deliver"
    install -d -m 0777 -o "$SINK_USER" -g "$SINK_GROUP" "$SINK"
}

write_postfix_conf() {
    install -d -m 0755 "$PF_CONF"
    install -d -m 0755 "$PF_QUEUE"
    install -d -m 0700 -o postfix -g postfix "$PF_DATA"
    cat >"$PF_CONF/main.cf" <<EOF
# Generated by scripts/lab-mta.sh — lab instance, loopback only, never relays off the box.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
maillog_file = $LOG_DIR/postfix.log
maillog_file_prefixes = $LOG_DIR
syslog_name = postfix-lab
biff = no
readme_directory = no
append_dot_mydomain = no

myhostname = localhost
mydomain = lab.invalid
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# No local/virtual/relay domains, no relayhost: every recipient is "remote", and
# every delivery goes to the labsink pipe (see master.cf). No smtp client exists.
mydestination =
relay_domains =
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
transport_maps = static:labsink
default_transport = labsink
relay_transport = labsink
local_transport = labsink
virtual_transport = labsink
labsink_destination_recipient_limit = 1

smtpd_banner = \$myhostname ESMTP smtp-auth-tutor lab (Postfix)
# Only authenticated clients may send.
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_error_sleep_time = 0
smtpd_client_event_limit_exceptions = \$mynetworks

# SASL via Dovecot
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
broken_sasl_auth_clients = no

# TLS (per-port levels in master.cf)
smtpd_tls_cert_file = $TLS_DIR/server.pem
smtpd_tls_key_file = $TLS_DIR/server.key
smtpd_tls_security_level = may
smtpd_tls_auth_only = no
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtp_tls_security_level = none
EOF
    cat >"$PF_CONF/master.cf" <<EOF
# Generated by scripts/lab-mta.sh
# service type  private unpriv  chroot  wakeup  maxproc command + args
$LAB_HOST:$PORT_PLAIN inet n - n - - smtpd
  -o syslog_name=postfix-lab/plain
  -o smtpd_tls_security_level=may
  -o smtpd_tls_auth_only=no
$LAB_HOST:$PORT_STARTTLS inet n - n - - smtpd
  -o syslog_name=postfix-lab/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
$LAB_HOST:$PORT_TLS inet n - n - - smtpd
  -o syslog_name=postfix-lab/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
# The sink: every message, every recipient, one file each.
labsink    unix  -       n       n       -       -       pipe
  flags=OR user=$SINK_USER:$SINK_GROUP argv=$STATE/bin/sink-deliver $SINK \${queue_id} \${recipient}
EOF
    # Postfix will not read a main.cf modified in the last ~2 s: it sleeps in 0.3 s
    # steps until the file looks "settled" (guard against half-written files).
    # Back-date the freshly written files so `postfix check`/`start` don't stall 2.5 s.
    touch -d "@$(( $(date +%s) - 10 ))" "$PF_CONF/main.cf" "$PF_CONF/master.cf"
}

write_env() {
    cat >"$ENV_FILE.new" <<EOF
LAB_HOST=$LAB_HOST
LAB_HOSTNAME=localhost
LAB_PORT_PLAIN=$PORT_PLAIN
LAB_PORT_STARTTLS=$PORT_STARTTLS
LAB_PORT_TLS=$PORT_TLS
LAB_CAFILE=$TLS_DIR/ca.pem
LAB_SINK=$SINK
LAB_USERS="$LAB_USERS"
LAB_MECHS="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"
LAB_MTA_DIR=$STATE
LAB_LOGS="$LOG_DIR/postfix.log $LOG_DIR/dovecot.log"
EOF
    chmod 0644 "$ENV_FILE.new"
    mv -f "$ENV_FILE.new" "$ENV_FILE"
}

# ------------------------------------------------------------------ commands --------

all_ready() {
    [[ $(banner "$PORT_PLAIN" plain) == 220* ]] &&
    [[ $(banner "$PORT_STARTTLS" plain) == 220* ]] &&
    [[ $(banner "$PORT_TLS" tls) == 220* ]]
}

cmd_start() {
    if postfix_running && dovecot_running && [[ -s $TLS_DIR/ca.pem ]] && all_ready; then
        write_env
        log "already running"
        echo "$ENV_FILE"
        return 0
    fi
    # Half-up leftovers from an earlier run: clean them away first.
    if postfix_running || dovecot_running; then cmd_stop; fi

    local p
    for p in "$PORT_PLAIN" "$PORT_STARTTLS" "$PORT_TLS"; do
        if port_in_use "$p"; then
            die "port $LAB_HOST:$p is already in use by another program (ss -ltnp 'sport = :$p')"
        fi
    done

    ensure_installed
    # Postfix tools want /etc/mailname on Debian.
    [[ -s /etc/mailname ]] || echo lab.invalid >/etc/mailname

    install -d -m 0755 "$STATE" "$LOG_DIR"
    rm -f "$ENV_FILE"
    make_tls
    write_sink_script
    write_postfix_conf
    write_dovecot_conf

    # `postfix check` creates the queue dirs (incl. private/, needed by dovecot's listener)
    # and must pass.
    "$POSTFIX" -c "$PF_CONF" check || die "postfix check failed for $PF_CONF"

    # The daemons must not inherit our stdin/stdout/stderr: a caller that captures our
    # output (subprocess.run(capture_output=True), `... | tee`) would otherwise wait
    # for EOF until the daemons exit. Nor the lock fd 9: it would keep the lock held.
    local startlog=$LOG_DIR/daemon-start.log
    log "starting dovecot (auth only)"
    "$DOVECOT" -c "$DC_CONF" </dev/null >>"$startlog" 2>&1 9>&- \
        || { tail -n 20 "$startlog" "$LOG_DIR/dovecot.log" >&2 2>/dev/null || true;
             die "dovecot failed to start; see $startlog and $LOG_DIR/dovecot.log"; }
    log "starting postfix"
    "$POSTFIX" -c "$PF_CONF" start </dev/null >>"$startlog" 2>&1 9>&- \
        || { tail -n 20 "$startlog" "$LOG_DIR/postfix.log" >&2 2>/dev/null || true;
             die "postfix failed to start; see $startlog and $LOG_DIR/postfix.log"; }

    local deadline=$((SECONDS + START_TIMEOUT))
    until all_ready; do
        if ((SECONDS >= deadline)); then
            log "plain:    $(banner "$PORT_PLAIN" plain)"
            log "starttls: $(banner "$PORT_STARTTLS" plain)"
            log "tls:      $(banner "$PORT_TLS" tls)"
            tail -n 20 "$LOG_DIR/postfix.log" "$LOG_DIR/dovecot.log" >&2 2>/dev/null || true
            cmd_stop   # leave nothing half-up behind; the logs stay
            die "not all ports answered 220 within ${START_TIMEOUT}s (logs: $LOG_DIR)"
        fi
        sleep 0.2
    done
    [[ -S $PF_QUEUE/private/auth ]] || die "dovecot auth socket $PF_QUEUE/private/auth missing"

    write_env
    log "up: plain $LAB_HOST:$PORT_PLAIN  starttls $LAB_HOST:$PORT_STARTTLS  tls $LAB_HOST:$PORT_TLS"
    log "CA: $TLS_DIR/ca.pem  sink: $SINK  env:"
    echo "$ENV_FILE"
}

cmd_stop() {
    rm -f "$ENV_FILE"
    if postfix_running; then
        log "stopping postfix"
        "$POSTFIX" -c "$PF_CONF" stop 2>/dev/null || true
    fi
    if dovecot_running; then
        log "stopping dovecot"
        kill "$(tr -dc '0-9' <"$DC_RUN/master.pid")" 2>/dev/null || true
    fi
    # Bounded wait for both masters to be gone; then force.
    local deadline=$((SECONDS + 10))
    while postfix_running || dovecot_running; do
        if ((SECONDS >= deadline)); then
            log "forcing stop"
            postfix_running && kill -9 "$(tr -dc '0-9' <"$PF_QUEUE/pid/master.pid")" 2>/dev/null
            dovecot_running && kill -9 "$(tr -dc '0-9' <"$DC_RUN/master.pid")" 2>/dev/null
            sleep 0.5
            break
        fi
        sleep 0.1
    done
    log "stopped"
}

cmd_status() {
    local rc=0 p mode b
    echo "state dir: $STATE"
    if postfix_running; then
        echo "postfix:   running (master pid $(tr -dc '0-9' <"$PF_QUEUE/pid/master.pid"), config $PF_CONF)"
    else
        echo "postfix:   not running"; rc=1
    fi
    if dovecot_running; then
        echo "dovecot:   running (master pid $(tr -dc '0-9' <"$DC_RUN/master.pid"), config $DC_CONF)"
    else
        echo "dovecot:   not running"; rc=1
    fi
    for p in "plain:$PORT_PLAIN" "starttls:$PORT_STARTTLS" "tls:$PORT_TLS"; do
        mode=plain; [[ ${p%%:*} == tls ]] && mode=tls
        b=$(banner "${p#*:}" "$mode")
        printf '%-10s %s:%s  %s\n' "${p%%:*}:" "$LAB_HOST" "${p#*:}" "${b:-(no answer)}"
        [[ $b == 220* ]] || rc=1
    done
    echo "CA file:   $TLS_DIR/ca.pem"
    echo "sink:      $SINK ($(find "$SINK" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l) messages)"
    echo "logs:      $LOG_DIR/postfix.log $LOG_DIR/dovecot.log"
    if [[ -s $ENV_FILE ]]; then echo "env file:  $ENV_FILE"; else echo "env file:  (none: not started)"; fi
    return $rc
}

# One start/stop at a time (parallel test workers may all call `start`).
install -d -m 0755 "$STATE"
exec 9>"$STATE/.lock"
flock -w 60 9 || die "could not lock $STATE/.lock within 60 s"

case "${1:-}" in
    start)   cmd_start ;;
    stop)    cmd_stop ;;
    restart) cmd_stop; cmd_start ;;
    status)  cmd_status ;;
    *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
