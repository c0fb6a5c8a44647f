#!/usr/bin/env bash
# serve_bench.sh MOTE_SERVE [SECONDS]: wrk against mote-serve and against
# nginx (one worker, same directory, same certificate) in the same run,
# keep-alive, 1 KiB and 1 MiB files, plain HTTP and HTTPS (TLS 1.3, P-256
# certificate); prints requests per second and the ratio mote/nginx.
set -euo pipefail
serve=$1
secs=${2:-5}
for p in wrk nginx; do
    command -v $p >/dev/null || { echo "$p is missing: scripts/deps.sh bench"; exit 1; }
done
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$tmp/www" "$tmp/nginx"
chmod 755 "$tmp" "$tmp/www"  # nginx workers run as www-data
head -c 1024 /dev/urandom > "$tmp/www/1k.bin"
head -c 1048576 /dev/urandom > "$tmp/www/1m.bin"
chmod 644 "$tmp/www/"*

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(free_port)
nport=$(free_port)
msport=$(free_port)
nsport=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
chmod 644 "$tmp/key.pem"

"$serve" -p "$mport" -b 127.0.0.1 --access-log /dev/null "$tmp/www" 2>/dev/null &
pids+=($!)
"$serve" -c "$tmp/cert.pem" -k "$tmp/key.pem" -p "$msport" -b 127.0.0.1 --access-log /dev/null \
    "$tmp/www" 2>/dev/null &
pids+=($!)
cat > "$tmp/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $tmp/www;
    }
    server {
        listen 127.0.0.1:$nsport ssl;
        ssl_certificate $tmp/cert.pem;
        ssl_certificate_key $tmp/key.pem;
        ssl_protocols TLSv1.3;
        root $tmp/www;
    }
}
NGX
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
pids+=($!)
sleep 0.5
for url in "http://127.0.0.1:$mport" "http://127.0.0.1:$nport" "https://127.0.0.1:$msport" \
    "https://127.0.0.1:$nsport"; do
    curl -sfk "$url/1m.bin" | cmp -s - "$tmp/www/1m.bin" ||
        { echo "$url does not serve the files"; cat "$tmp/nginx/error.log"; exit 1; }
done

rps() { # rps URL CONNECTIONS
    wrk -t1 -c"$2" -d"${secs}s" "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
}

printf '%-28s %14s %14s %8s\n' "case" "mote req/s" "nginx req/s" "ratio"
for scheme in http https; do
    if [ $scheme = http ]; then mp=$mport np=$nport; else mp=$msport np=$nsport; fi
    for f in 1k.bin 1m.bin; do
        for c in 1 32; do
            m=$(rps "$scheme://127.0.0.1:$mp/$f" $c)
            n=$(rps "$scheme://127.0.0.1:$np/$f" $c)
            r=$(python3 -c "print(f'{$m/$n:.2f}')")
            printf '%-28s %14s %14s %8s\n' "$scheme $f, $c conn" "$m" "$n" "${r}x"
        done
    done
done
