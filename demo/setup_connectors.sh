#!/usr/bin/env bash
# Registers the article's three connectors. The JSON bodies below are the article's, byte for
# byte (whitespace included), except the host names, which come from the environment because
# the article's (mysql, redpanda, minio) exist only inside its compose network:
#
#   CONNECT_URL      http://localhost:8083     the worker's REST API
#   MYSQL_HOST       127.0.0.1   (article: mysql)           database.hostname
#   MYSQL_PORT       3306        (article: 3306)            database.port
#   KAFKA_BOOTSTRAP  127.0.0.1:9092 (article: redpanda:9092) schema history bootstrap servers
#   S3_ENDPOINT      http://127.0.0.1:9000 (article: http://minio:9000)  store.url
#
# With MYSQL_HOST=mysql KAFKA_BOOTSTRAP=redpanda:9092 S3_ENDPOINT=http://minio:9000 (what
# docker/docker-compose.yml gives the data generator) the bodies are exactly the article's.
#
# Idempotent: a connector that already exists (HTTP 409, e.g. a second `make demo`) gets the
# same config through PUT /connectors/<name>/config, so it always ends up with this config.
# Exits non-zero if any registration failed (after trying all three).
set -uo pipefail

CONNECT_URL="${CONNECT_URL:-http://localhost:8083}"
CONNECT_URL="${CONNECT_URL%/}"
MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:9092}"
S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:9000}"

FAILED=0
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT

json_field() { python3 -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]; print(v if isinstance(v, str) else json.dumps(v))' "$1"; }

# create_connector BODY: the article's `curl --request POST .../connectors`, then PUT on 409.
create_connector() {
  local body="$1" name code config
  # The first "name" is the connector's (configs carry none); a regex saves a python start.
  [[ "$body" =~ \"name\":[[:space:]]*\"([^\"]+)\" ]] || { echo "no name in body" >&2; FAILED=1; return; }
  name="${BASH_REMATCH[1]}"
  code="$(curl -sS -o "$OUT" -w '%{http_code}' --max-time 60 \
    --request POST \
    --url "$CONNECT_URL/connectors" \
    --header 'Content-Type: application/json' \
    --data "$body")" || code=000
  case "$code" in
    201) echo "$name: created (POST /connectors -> 201)" ;;
    409)
      config="$(printf '%s' "$body" | json_field config)"
      code="$(curl -sS -o "$OUT" -w '%{http_code}' --max-time 60 \
        --request PUT \
        --url "$CONNECT_URL/connectors/$name/config" \
        --header 'Content-Type: application/json' \
        --data "$config")" || code=000
      case "$code" in
        200 | 201) echo "$name: already existed, config replaced (PUT .../config -> $code)" ;;
        *) echo "$name: PUT /connectors/$name/config -> HTTP $code: $(cat "$OUT")" >&2; FAILED=1 ;;
      esac
      ;;
    000) echo "$name: no answer from $CONNECT_URL (is the worker up? make up)" >&2; FAILED=1 ;;
    *) echo "$name: POST /connectors -> HTTP $code: $(cat "$OUT")" >&2; FAILED=1 ;;
  esac
}

# create connector source for MySQL (Debezium MySQL CDC -> dbserver1.brazillian_ecommerce.*)
create_connector "$(cat <<EOF
{
"name": "src-brazillian-ecommerce",
"config": {
"connector.class": "io.debezium.connector.mysql.MySqlConnector",
"tasks.max": "1",
"database.hostname": "${MYSQL_HOST}",
"database.port": "${MYSQL_PORT}",
"database.user": "debezium",
"database.password": "dbz",
"database.server.id": "184054",
"database.include.list": "brazillian_ecommerce",
"topic.prefix": "dbserver1",
"schema.history.internal.kafka.bootstrap.servers": "${KAFKA_BOOTSTRAP}",
"schema.history.internal.kafka.topic": "schema-changes.brazillian_ecommerce"
}
}
EOF
)"

# create connector sink MySQL to S3 (CDC topics -> s3://warehouse/brazillian_ecommerce/)
create_connector "$(cat <<EOF
{
"name": "sink-s3-brazillian-ecommerce", 
"config": {
"topics.regex": "dbserver1.brazillian_ecommerce.*",
"topics.dir": "brazillian_ecommerce",
"connector.class": "io.confluent.connect.s3.S3SinkConnector",
"key.converter": "org.apache.kafka.connect.json.JsonConverter",
"value.converter": "org.apache.kafka.connect.json.JsonConverter",
"format.class": "io.confluent.connect.s3.format.json.JsonFormat",
"flush.size": "1000",
"store.url": "${S3_ENDPOINT}",
"storage.class": "io.confluent.connect.s3.storage.S3Storage",
"s3.region": "us-east-1",
"s3.bucket.name": "warehouse", 
"aws.access.key.id": "minio",
"aws.secret.access.key": "minio123"
}
}
EOF
)"

# create connector sink clickstream to S3 (clickstream_events -> s3://warehouse/clickstream_events/)
create_connector "$(cat <<EOF
{
	"name": "sink-s3-clickstream",
	"config": {
	"topics": "clickstream_events",
	"topics.dir": "clickstream_events",
	"connector.class": "io.confluent.connect.s3.S3SinkConnector",
	"key.converter.schemas.enable": "false",
	"key.converter": "org.apache.kafka.connect.json.JsonConverter",
	"value.converter": "org.apache.kafka.connect.json.JsonConverter",
	"value.converter.schemas.enable": "false",
	"s3.compression.type": "gzip",
	"format.class": "io.confluent.connect.s3.format.json.JsonFormat",
	"flush.size": "100",
	"store.url": "${S3_ENDPOINT}",
	"storage.class": "io.confluent.connect.s3.storage.S3Storage",
	"s3.region": "us-east-1",
	"s3.bucket.name": "warehouse",
	"aws.access.key.id": "minio",
	"aws.secret.access.key": "minio123"
	}
}
EOF
)"

exit "$FAILED"
