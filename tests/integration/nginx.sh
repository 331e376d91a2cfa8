# Writes WORK/nginx.conf for a private nginx run by root in WORK: the given
# lines go inside `http { }`. Source it; then `nginx -c WORK/nginx.conf`.
write_nginx_conf() {
  local work=$1 http_body=$2
  cat > "$work/nginx.conf" <<CONF
user root;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
$http_body
}
CONF
}
