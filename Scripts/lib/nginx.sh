# nginx.sh — sourced by the benchmarks: a throwaway nginx serving a small
# index.html, with its own prefix, config, pid, logs and temp dirs, so the
# system's nginx setup is never read or written. Workers run as nobody.
#
#   nginx_start NETNS WORK LISTEN [SERVERS]
# LISTEN as nginx takes it (10.199.0.2:8080); SERVERS, optional, more
# server { } blocks inside http { } (each with its own root).
# appends the server's pid to the caller's `pids` array.

nginx_start() {
    local netns=$1 work=$2 listen=$3
    chmod 755 "$work"
    mkdir -p "$work/www" "$work/tmp"
    head -c 600 /dev/urandom | base64 >"$work/www/index.html"
    cat >"$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.log warn;
events { worker_connections 1024; }
http { access_log off; default_type text/html; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen $listen; root $work/www; } ${4:-} }
CONF
    ip netns exec "$netns" nginx -p "$work" -c "$work/nginx.conf" -e "$work/nginx.log" & pids+=($!)
}
