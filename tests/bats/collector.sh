#!/usr/bin/env bash
# collector.sh DIR: a real SIEM collector for kcc-forward's tests: Debian's rsyslog with its gtls
# driver, TLS with client certificates required (x509/name, peer node-1), writing every message it
# receives to DIR/out.log, and what its RFC 5424 parser made of each to DIR/parsed.log. Makes the PKI first (DIR/pki: a CA, the collector's certificate for
# localhost, the node's client certificate; a second CA and a client certificate from it).
#   collector.sh DIR pki          make the certificates only
#   collector.sh DIR start PORT   start rsyslogd, return once it listens (pid in DIR/rsyslogd.pid)
#   collector.sh DIR stop         stop it, return once it is gone
# COLLECTOR_CLIENT_CA (a PEM file): trust it too for client certificates (the VM test: the
# verifier's issuing CA); COLLECTOR_PEER: the client name it permits (default node-1).
set -euo pipefail
dir=$1 cmd=$2
pki=$dir/pki

cert() { # NAME CN CA SAN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial \
		-days 2 -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$4") \
		-out "$pki/$1.pem" 2>/dev/null
}

make_pki() {
	mkdir -p "$pki"
	for ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=kcc-test $ca" -keyout "$pki/$ca.key" -out "$pki/$ca.pem" 2>/dev/null
	done
	# 10.0.2.100: the address the VM tests' guests reach the host's collector at
	cert collector localhost ca "DNS:localhost,IP:127.0.0.1,IP:10.0.2.100"
	cert collector-elsewhere collector.example ca "DNS:collector.example"
	cert node node-1 ca "DNS:node-1"
	cert node-other-ca node-1 other-ca "DNS:node-1"
	cert node-wrong-name node-2 ca "DNS:node-2"
}

listening() { ss -Hltn "sport = :$1" | grep -q .; }

case $cmd in
pki) make_pki ;;
start)
	port=$3 certname=${4:-collector}
	[ -f "$pki/ca.pem" ] || make_pki
	mkdir -p "$dir/work"
	cat "$pki/ca.pem" ${COLLECTOR_CLIENT_CA:+"$COLLECTOR_CLIENT_CA"} >"$dir/trust.pem"
	cat >"$dir/rsyslog.conf" <<-CONF
	global(workDirectory="$dir/work"
	       DefaultNetstreamDriver="gtls"
	       DefaultNetstreamDriverCAFile="$dir/trust.pem"
	       DefaultNetstreamDriverCertFile="$pki/$certname.pem"
	       DefaultNetstreamDriverKeyFile="$pki/$certname.key")
	module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
	       StreamDriver.AuthMode="x509/name" PermittedPeer=["${COLLECTOR_PEER:-node-1}"])
	input(type="imtcp" port="$port")
	template(name="raw" type="string" string="%rawmsg%\n")
	template(name="parsed" type="string"
	         string="%protocol-version%|%pri%|%hostname%|%app-name%|%msgid%|%structured-data%\n")
	*.* action(type="omfile" file="$dir/out.log" template="raw")
	*.* action(type="omfile" file="$dir/parsed.log" template="parsed")
	CONF
	rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" >"$dir/rsyslogd.log" 2>&1 &
	echo $! >"$dir/rsyslogd.bgpid"
	# Wait for the event itself: the port listening (bounded).
	for _ in $(seq 300); do
		listening "$port" && exit 0
		kill -0 "$(cat "$dir/rsyslogd.bgpid")" 2>/dev/null || { cat "$dir/rsyslogd.log" >&2; exit 1; }
		sleep 0.05
	done
	echo "collector: rsyslogd did not listen on $port" >&2
	exit 1
	;;
stop)
	pid=$(cat "$dir/rsyslogd.bgpid" 2>/dev/null) || exit 0
	kill "$pid" 2>/dev/null || exit 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	;;
*) echo "collector.sh: unknown command $cmd" >&2; exit 100 ;;
esac
