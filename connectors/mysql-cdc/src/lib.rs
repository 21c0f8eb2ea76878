//! Debezium-compatible MySQL/MariaDB change data capture source.
