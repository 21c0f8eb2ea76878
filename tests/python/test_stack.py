"""Smoke tests of the local stack (scripts/stack.sh) through the article's Python clients.

They talk to the services `scripts/test.sh` started and exported (KAFKA_BOOTSTRAP, MYSQL_URL,
S3_ENDPOINT); without CONNECT_IT=1 they are skipped.
"""

import os
import time
import uuid
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("CONNECT_IT") != "1", reason="set CONNECT_IT=1 (scripts/test.sh does)"
)

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092")
MYSQL_URL = urlparse(os.environ.get("MYSQL_URL", "mysql://root:debezium@127.0.0.1:3306"))
S3_ENDPOINT = os.environ.get("S3_ENDPOINT", "http://127.0.0.1:9000")


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def test_tansu_topic_produce_consume_confluent():
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = unique("smoke_ck")
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    # tansu never auto-creates topics: producing to a missing one waits forever.
    for fut in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        fut.result(timeout=30)

    producer = Producer({"bootstrap.servers": BOOTSTRAP})
    producer.produce(topic, key=b"k", value=b"hello sluice")
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": unique("g"),
            "auto.offset.reset": "earliest",
            # tansu holds each fetch for fetch.wait.max.ms even when data is ready.
            "fetch.wait.max.ms": 10,
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        msg = None
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is not None and msg.error() is None:
                break
        assert msg is not None and msg.error() is None, msg and msg.error()
        assert (msg.key(), msg.value()) == (b"k", b"hello sluice")
        consumer.commit(message=msg, asynchronous=False)
    finally:
        consumer.close()


def test_tansu_produce_consume_kafka_python():
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = unique("smoke_kp")
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP)
    producer.send(topic, b"from kafka-python").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP,
        auto_offset_reset="earliest",
        consumer_timeout_ms=30000,  # iteration ends after 30 s with nothing
        fetch_max_wait_ms=10,
    )
    try:
        first = next(iter(consumer), None)
        assert first is not None and first.value == b"from kafka-python"
    finally:
        consumer.close()


def test_mariadb_debezium_account_and_row_binlog():
    import pymysql

    conn = pymysql.connect(
        host=MYSQL_URL.hostname, port=MYSQL_URL.port or 3306, user="debezium", password="dbz"
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            grants = " ".join(row[0] for row in cur.fetchall())
            # MariaDB spells REPLICATION CLIENT as BINLOG MONITOR.
            for priv in ("SELECT", "RELOAD", "SHOW DATABASES", "REPLICATION SLAVE", "LOCK TABLES"):
                assert priv in grants, grants
            assert "BINLOG MONITOR" in grants or "REPLICATION CLIENT" in grants, grants
            cur.execute("SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@max_allowed_packet")
            log_bin, fmt, image, packet = cur.fetchone()
            assert (log_bin, fmt, image) == (1, "ROW", "FULL")
            # The stack starts MariaDB with 128M; the large-row CDC test raises the
            # global for its 64 MB row, so the floor is what matters here.
            assert packet >= 128 * 1024 * 1024, packet
    finally:
        conn.close()


def test_mariadb_root_password():
    import pymysql

    conn = pymysql.connect(
        host=MYSQL_URL.hostname,
        port=MYSQL_URL.port or 3306,
        user=MYSQL_URL.username,
        password=MYSQL_URL.password,
    )
    conn.close()


def test_s3s_fs_put_get_path_style():
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=S3_ENDPOINT,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY", "minio"),
        aws_secret_access_key=os.environ.get("S3_SECRET_KEY", "minio123"),
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    key = f"smoke/{unique('obj')}.json"
    s3.put_object(Bucket="warehouse", Key=key, Body=b'{"ok":true}')
    try:
        assert s3.get_object(Bucket="warehouse", Key=key)["Body"].read() == b'{"ok":true}'
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="warehouse", Prefix="smoke/")["Contents"]]
        assert key in keys
    finally:
        s3.delete_object(Bucket="warehouse", Key=key)
