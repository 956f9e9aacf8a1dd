#!/usr/bin/env bash
# A MariaDB server for the tests of pull connectors (the MySQL family): installed (Debian's
# mariadb-server) and started when absent, never assumed. Used by .ci/run and by
# test/helpers/mariadb.ts. Leaves a user shifou_test (password shifou-test) at 127.0.0.1 that may
# create databases named shifou_dept_*. Prints nothing on success when the server was already up.
set -euo pipefail
PORT="${MARIADB_PORT:-3306}"

# (mysqladmin ping succeeds also when the sign-in is refused: a statement is the test.)
up () { mysql --protocol=tcp -h 127.0.0.1 -P "$PORT" -u shifou_test -pshifou-test -e 'select 1' >/dev/null 2>&1; }
up && exit 0

if ! command -v mariadbd >/dev/null && ! command -v mysqld >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q mariadb-server
fi

# As root: through the server's socket (Debian's root@localhost signs in by unix_socket), or over
# TCP as root without a password (a server set up that way).
as_root () {
  mysql -u root "$@" 2>/dev/null || mysql --protocol=tcp -h 127.0.0.1 -P "$PORT" -u root "$@"
}

if ! mysqladmin --protocol=tcp -h 127.0.0.1 -P "$PORT" ping >/dev/null 2>&1 &&
  ! mysqladmin -u root ping >/dev/null 2>&1; then
  # Debian's init script where there is no systemd (containers, CI); mysqld_safe otherwise.
  service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 ||
    (mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
     nohup mysqld_safe --user=mysql --bind-address=127.0.0.1 --port="$PORT" >/dev/null 2>&1 &)
  for _ in $(seq 1 60); do
    mysqladmin -u root ping >/dev/null 2>&1 && break
    mysqladmin --protocol=tcp -h 127.0.0.1 -P "$PORT" ping >/dev/null 2>&1 && break
    sleep 1
  done
fi

as_root <<'SQL'
CREATE USER IF NOT EXISTS 'shifou_test'@'127.0.0.1' IDENTIFIED BY 'shifou-test';
CREATE USER IF NOT EXISTS 'shifou_test'@'localhost' IDENTIFIED BY 'shifou-test';
GRANT ALL PRIVILEGES ON `shifou\_dept\_%`.* TO 'shifou_test'@'127.0.0.1';
GRANT ALL PRIVILEGES ON `shifou\_dept\_%`.* TO 'shifou_test'@'localhost';
FLUSH PRIVILEGES;
SQL
up || { echo "MariaDB did not come up on 127.0.0.1:$PORT" >&2; exit 1; }
