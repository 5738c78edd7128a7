#!/usr/bin/env bash
# ci-install-peers.sh — install the real peer programs the interop / lab-MTA tests talk to.
#
# Installs (Debian, apt) : swaks curl msmtp gsasl tcpdump tshark openssl
#                          postfix dovecot-core libsasl2-modules ca-certificates
#                          chromium chromium-driver
#   plus swaks's Perl helpers, which are only "Recommends" and so NOT pulled in by
#   --no-install-recommends: libnet-ssleay-perl (without it every swaks -tls/--tlsc
#   fails: "TLS not available: requires Net::SSLeay"), libio-socket-inet6-perl (::1),
#   libauthen-sasl-perl (swaks DIGEST-MD5), libauthen-ntlm-perl (swaks AUTH NTLM, tests/test_trace_mechs.py).
#   chromium chromium-driver: the headless browser (driven by selenium) that tests the classroom
#   web view, serve --web; Debian's build, because CI cannot download a browser of its own.
#
# * Idempotent and quick: if every package is already installed ("ii" in dpkg) it
#   does nothing — no `apt-get update`, no network. Otherwise it runs
#   `apt-get update` once and installs only what is missing.
# * Non-interactive: DEBIAN_FRONTEND=noninteractive plus debconf preseeds
#     postfix           postfix/main_mailer_type  "No configuration"
#     postfix           postfix/mailname          lab.invalid
#     wireshark-common  wireshark-common/install-setuid false
# * Installing postfix / dovecot must NOT leave the distro's default daemons running
#   (they would grab ports 25/143/...): while apt runs, /usr/sbin/policy-rc.d returns
#   101 ("action forbidden"), so invoke-rc.d starts nothing. If a policy-rc.d already
#   existed (container images ship one) it is left exactly as it was; ours is removed.
#   Afterwards any default postfix/dovecot instance that got started anyway is stopped.
#   The lab MTA (scripts/lab-mta.sh) runs its own instance with its own config.
#
# Usage: scripts/ci-install-peers.sh            (as root, or with sudo available)
#        PEERS_ONLY="postfix dovecot-core openssl" scripts/ci-install-peers.sh
#            -> install only that subset (lab-mta.sh uses this)
# zsh is not a peer: tests/test_completion.py parses and drives the shipped zsh completion script with it.
set -euo pipefail

ALL_PACKAGES=(swaks libnet-ssleay-perl libio-socket-inet6-perl libauthen-sasl-perl libauthen-ntlm-perl zsh
              curl msmtp gsasl tcpdump tshark openssl ca-certificates
              postfix dovecot-core libsasl2-modules chromium chromium-driver)
if [[ -n "${PEERS_ONLY:-}" ]]; then
    read -r -a PACKAGES <<<"$PEERS_ONLY"
else
    PACKAGES=("${ALL_PACKAGES[@]}")
fi

log() { printf 'ci-install-peers: %s\n' "$*" >&2; }

SUDO=()
if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null || { log "must run as root (no sudo found)"; exit 1; }
    SUDO=(sudo -n)
fi

# --- fast path: everything already installed? --------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
    [[ "$status" == ii* ]] || missing+=("$pkg")
done
if [[ ${#missing[@]} -eq 0 ]]; then
    log "all peer packages already installed (${PACKAGES[*]})"
    exit 0
fi
log "installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive

# --- forbid service starts while apt runs -----------------------------------------
POLICY=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# temporary, from smtp-auth-tutor ci-install-peers.sh\nexit 101\n' \
        | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 0755 "$POLICY"
    created_policy=1
fi
cleanup() {
    if [[ $created_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi
}
trap cleanup EXIT

# --- debconf preseeds (before the packages are configured) ------------------------
"${SUDO[@]}" debconf-set-selections <<'EOF'
postfix postfix/main_mailer_type select No configuration
postfix postfix/mailname string lab.invalid
wireshark-common wireshark-common/install-setuid boolean false
EOF
# Postfix wants /etc/mailname; the package writes it only for some mailer types.
if [[ ! -s /etc/mailname ]]; then
    echo lab.invalid | "${SUDO[@]}" tee /etc/mailname >/dev/null
fi

# --- install -------------------------------------------------------------------
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

# --- belt and braces: no default instance may stay up ----------------------------
# (only the distro's default instances: config in /etc/postfix, base dir /run/dovecot)
if [[ -f /var/spool/postfix/pid/master.pid ]] && \
   "${SUDO[@]}" kill -0 "$(tr -d ' ' </var/spool/postfix/pid/master.pid)" 2>/dev/null; then
    log "stopping the distro's default postfix instance"
    "${SUDO[@]}" postfix -c /etc/postfix stop || true
fi
if [[ -f /run/dovecot/master.pid ]] && \
   "${SUDO[@]}" kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
    log "stopping the distro's default dovecot instance"
    "${SUDO[@]}" kill "$(cat /run/dovecot/master.pid)" || true
fi

log "done"
