#!/usr/bin/env bash
# Remake the client debug transcripts in tests/data/clients/ by running the real programs against
# `smtp-tutor serve --port $PORT --profile lab` on 127.0.0.1 (accounts tim/tanstaaftanstaaf, demo/demo).
# Usage: tests/data/clients/make/make.sh [PORT]   (serve must already be listening; see ../README.md)
set -euo pipefail
PORT=${1:-2599}
HERE=$(cd "$(dirname "$0")" && pwd); OUT=$(dirname "$HERE")
NODE_DIR=${NODE_DIR:-/tmp/imp_node}          # a directory where `npm install nodemailer` was run
CP=/usr/share/java/jakarta-mail.jar:/usr/share/java/jakarta-activation.jar
MUTT=$(mktemp -d); trap 'rm -rf "$MUTT"' EXIT

msmtp_run() { printf 'Subject: fixture\n\nhello\n' | msmtp --debug --host=127.0.0.1 --port="$PORT" --tls=off \
    --auth="$1" --user="$2" --passwordeval="echo $3" --from=tim@example.com tim@example.com || true; }
{ msmtp_run plain tim tanstaaftanstaaf; msmtp_run login tim wrongpassword; msmtp_run cram-md5 demo demo; } \
    > "$OUT/msmtp_debug_serve.txt" 2>&1

printf 'Subject: fixture\n\nhello\n' | msmtp --debug --host=127.0.0.1 --port="$PORT" --tls=on --tls-starttls=on \
    --tls-certcheck=off --auth=plain --user=tim --passwordeval='echo tanstaaftanstaaf' --from=tim@example.com \
    tim@example.com > "$OUT/msmtp_debug_starttls_serve.txt" 2>&1 || true

gsasl_run() { gsasl --smtp --connect="127.0.0.1:$PORT" --no-starttls --verbose --quiet \
    --mechanism="$1" --authentication-id="$2" --password="$3" </dev/null || true; }
{ gsasl_run PLAIN tim tanstaaftanstaaf; gsasl_run LOGIN tim wrongpassword; gsasl_run CRAM-MD5 demo demo; } \
    > "$OUT/gsasl_verbose_serve.txt" 2>&1

{ perl "$HERE/netsmtp.pl" "$PORT" PLAIN tim tanstaaftanstaaf; perl "$HERE/netsmtp.pl" "$PORT" LOGIN tim wrongpassword; } \
    > "$OUT/perl_netsmtp_debug_serve.txt" 2>&1

{ php "$HERE/phpmailer.php" "$PORT" PLAIN tim tanstaaftanstaaf; php "$HERE/phpmailer.php" "$PORT" LOGIN tim wrongpassword
  php "$HERE/phpmailer.php" "$PORT" CRAM-MD5 demo demo; } > "$OUT/phpmailer_debug2_serve.txt" 2>&1
php "$HERE/phpmailer.php" "$PORT" LOGIN tim tanstaaftanstaaf 4 > "$OUT/phpmailer_debug4_serve.txt" 2>&1

{ for args in "PLAIN tim tanstaaftanstaaf" "LOGIN tim wrongpassword" "CRAM-MD5 demo demo"; do
    NODE_PATH="$NODE_DIR/node_modules" node "$HERE/nodemailer.js" "$PORT" $args; done; } > "$OUT/nodemailer_logger_serve.txt" 2>&1

{ java -cp "$CP" "$HERE/JakartaMailFixture.java" "$PORT" PLAIN tim tanstaaftanstaaf
  java -cp "$CP" "$HERE/JakartaMailFixture.java" "$PORT" LOGIN tim wrongpassword || true   # exits 1: login denied
  java -cp "$CP" "$HERE/JakartaMailFixture.java" "$PORT" LOGIN tim tanstaaftanstaaf true; } > "$OUT/jakarta_mail_debug_serve.txt" 2>&1

: > "$OUT/neomutt_debug5_serve.txt"
for m in "plain tanstaaftanstaaf" "login wrongpassword"; do
    set -- $m
    printf 'set smtp_url="smtp://tim@127.0.0.1:%s/"\nset smtp_pass="%s"\nset smtp_authenticators="%s"\nset ssl_starttls=no\nset ssl_force_tls=no\nset from="tim@example.com"\nset use_from=yes\nset record=""\n' \
        "$PORT" "$2" "$1" > "$MUTT/muttrc"
    echo hello | HOME=$MUTT neomutt -n -F "$MUTT/muttrc" -d 5 -l "$MUTT/nm.log" -s fixture tim@example.com >/dev/null 2>&1 || true
    cat "$MUTT/nm.log0" >> "$OUT/neomutt_debug5_serve.txt"; rm -f "$MUTT"/nm.log*
done

: > "$OUT/mutt_debug5_serve.txt"
for m in "plain tanstaaftanstaaf" "login wrongpassword" "cram-md5 tanstaaftanstaaf"; do
    set -- $m
    printf 'set smtp_url="smtp://tim@127.0.0.1:%s/"\nset smtp_pass="%s"\nset smtp_authenticators="%s"\nset ssl_starttls=no\nset ssl_force_tls=no\nset from="tim@example.com"\nset use_from=yes\nset record=""\n' \
        "$PORT" "$2" "$1" > "$MUTT/muttrc"
    rm -f "$MUTT/.muttdebug0"
    echo hello | HOME=$MUTT mutt -n -F "$MUTT/muttrc" -d 5 -s fixture tim@example.com >/dev/null 2>&1 || true
    cat "$MUTT/.muttdebug0" >> "$OUT/mutt_debug5_serve.txt"
done
