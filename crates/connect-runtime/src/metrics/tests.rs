//! Naming and rendering of the exposition.

use std::time::Duration;

use super::*;

fn snapshot() -> Vec<ConnectorSnapshot> {
    vec![ConnectorSnapshot {
        name: "orders".to_owned(),
        class: "io.debezium.connector.mysql.MySqlConnector".to_owned(),
        connector_type: "source".to_owned(),
        version: "2.2.0.Final".to_owned(),
        state: "RUNNING".to_owned(),
        tasks: vec![(0, "RUNNING".to_owned()), (1, "FAILED".to_owned())],
    }]
}

/// The sample lines of `text` (no comments).
fn samples(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.starts_with('#')).collect()
}

fn has(text: &str, line: &str) -> bool {
    samples(text).contains(&line)
}

#[test]
fn strimzi_names_task_attributes_as_its_connect_rules_do() {
    let m = WorkerMetrics::default();
    let t = m.start_task("orders", 0, TaskKind::Source);
    t.source_polled(100, Duration::from_millis(4));
    t.source_polled(300, Duration::from_millis(8));
    t.source_written(400, 390);
    let text = m.render(&snapshot(), Names::Strimzi);
    let l = r#"{connector="orders",task="0"}"#;
    assert!(
        has(
            &text,
            &format!("kafka_connect_source_task_source_record_poll_total{l} 400.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_source_task_source_record_write_total{l} 390.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_connector_task_batch_size_avg{l} 200.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_connector_task_batch_size_max{l} 300.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_source_task_poll_batch_avg_time_ms{l} 6.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_source_task_source_record_active_count{l} 0.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_task_error_total_record_errors{l} 0.0")
        ),
        "{text}"
    );
    assert!(
        text.contains("# TYPE kafka_connect_source_task_source_record_poll counter"),
        "{text}"
    );
    // No Strimzi pattern matches `-percentage` task attributes.
    assert!(!text.contains("offset_commit_success_percentage"), "{text}");
}

#[test]
fn confluent_names_keep_the_metrics_suffix_of_the_mbean_type() {
    let m = WorkerMetrics::default();
    let t = m.start_task("orders", 0, TaskKind::Sink);
    t.sink_read(10);
    t.sink_put(8, Duration::from_millis(2), 8);
    t.errors(ErrorCounts {
        errors: 2,
        failures: 2,
        skipped: 2,
        logged: 0,
    });
    t.dlq_produce(true);
    t.dlq_produce(false);
    let text = m.render(&snapshot(), Names::Confluent);
    let l = r#"{connector="orders",task="0"}"#;
    assert!(
        has(
            &text,
            &format!("kafka_connect_sink_task_metrics_sink_record_read_total{l} 10.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_sink_task_metrics_sink_record_send_total{l} 8.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_connector_task_metrics_batch_size_avg{l} 8.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_task_error_metrics_total_record_errors{l} 2.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_task_error_metrics_total_records_skipped{l} 2.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_task_error_metrics_deadletterqueue_produce_requests{l} 2.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_task_error_metrics_deadletterqueue_produce_failures{l} 1.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connect_worker_metrics_connector_count{connector="aggregate"} 1.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connect_worker_metrics_connector_failed_task_count{connector="orders"} 1.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connector_metrics{connector="orders",status="running"} 1.0"#
        ),
        "{text}"
    );
}

#[test]
fn worker_counts_and_statuses_follow_the_status_store() {
    let m = WorkerMetrics::default();
    m.connector_startup(true);
    m.task_startup(true);
    m.task_startup(false);
    let text = m.render(&snapshot(), Names::Strimzi);
    assert!(
        has(&text, "kafka_connect_worker_connector_count 1.0"),
        "{text}"
    );
    assert!(has(&text, "kafka_connect_worker_task_count 2.0"), "{text}");
    assert!(
        has(
            &text,
            "kafka_connect_worker_connector_startup_attempts_total 1.0"
        ),
        "{text}"
    );
    assert!(
        has(&text, "kafka_connect_worker_task_startup_failure_total 1.0"),
        "{text}"
    );
    assert!(
        has(
            &text,
            "kafka_connect_worker_task_startup_success_percentage 0.5"
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_worker_connector_running_task_count{connector="orders"} 1.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connector_task_status{connector="orders",task="1",status="failed"} 1.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connector_status{connector="orders",status="running"} 1.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_connector_connector_class{connector="orders",connector_class="io.debezium.connector.mysql.MySqlConnector"} 1.0"#
        ),
        "{text}"
    );
}

#[test]
fn sink_lag_is_exported_per_partition_under_the_sink_consumers_client_id() {
    let m = WorkerMetrics::default();
    let t = m.start_task("s3", 2, TaskKind::Sink);
    t.set_lag(
        [(("orders".to_owned(), 0), 5), (("orders".to_owned(), 1), 0)]
            .into_iter()
            .collect(),
    );
    let text = m.render(&[], Names::Strimzi);
    assert!(
        has(
            &text,
            r#"kafka_consumer_fetch_manager_records_lag{clientid="connector-consumer-s3-2",topic="orders",partition="0"} 5.0"#
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            r#"kafka_connect_sink_task_sink_record_lag_max{connector="s3",task="2"} 5.0"#
        ),
        "{text}"
    );
    let text = m.render(&[], Names::Confluent);
    assert!(
        has(
            &text,
            r#"kafka_consumer_consumer_fetch_manager_metrics_records_lag{client_type="consumer",client_id="connector-consumer-s3-2",topic="orders",partition="1"} 0.0"#
        ),
        "{text}"
    );
}

#[test]
fn plugin_gauges_are_served_under_the_name_the_plugin_gives_and_go_with_the_task() {
    let m = WorkerMetrics::default();
    let t = m.start_task("cdc", 0, TaskKind::Source);
    let labels = [
        ("context", "streaming"),
        ("plugin", "mysql"),
        ("name", "shop"),
    ];
    t.plugin_metric("debezium_metrics_MilliSecondsBehindSource", &labels, 120.0);
    t.plugin_metric("debezium_metrics_MilliSecondsBehindSource", &labels, 7.0);
    let text = m.render(&[], Names::Strimzi);
    assert!(
        has(
            &text,
            r#"debezium_metrics_MilliSecondsBehindSource{context="streaming",plugin="mysql",name="shop"} 7.0"#
        ),
        "{text}"
    );
    m.remove_task("cdc", 0);
    assert!(!m.render(&[], Names::Strimzi).contains("debezium_metrics"));
}

#[test]
fn odd_names_and_label_values_cannot_break_the_exposition() {
    let m = WorkerMetrics::default();
    let t = m.start_task("a\"b\nc", 0, TaskKind::Source);
    t.plugin_metric("9 bad-name", &[("la-bel", "v\"\\\n")], 1.0);
    let text = m.render(&[], Names::Strimzi);
    assert!(has(&text, r#"_9_bad_name{la_bel="v\"\\\n"} 1.0"#), "{text}");
    assert!(text.contains(r#"connector="a\"b\nc""#), "{text}");
    assert!(text.ends_with("# EOF\n"));
}

#[test]
fn running_and_pause_ratios_split_the_tasks_time() {
    let m = WorkerMetrics::default();
    let t = m.start_task("c", 0, TaskKind::Sink);
    std::thread::sleep(Duration::from_millis(30));
    t.set_paused(true);
    std::thread::sleep(Duration::from_millis(30));
    let mut beans = Vec::new();
    t.beans(Instant::now(), &mut beans);
    let get = |a: &str| beans.iter().find(|b| b.attr == a).map(|b| b.value.clone());
    let (Some(Value::Number(r)), Some(Value::Number(p))) =
        (get("running-ratio"), get("pause-ratio"))
    else {
        panic!("ratios missing");
    };
    assert!((r + p - 1.0).abs() < 0.01, "{r} + {p}");
    assert!(r > 0.2 && p > 0.2, "{r} {p}");
}

#[test]
fn offset_commit_percentages_and_times_follow_commits() {
    let m = WorkerMetrics::default();
    let t = m.start_task("c", 0, TaskKind::Source);
    t.offset_commit(true, Duration::from_millis(10));
    t.offset_commit(true, Duration::from_millis(30));
    t.offset_commit(false, Duration::from_millis(99));
    t.offset_commit(true, Duration::from_millis(20));
    let text = m.render(&[], Names::Confluent);
    let l = r#"{connector="c",task="0"}"#;
    assert!(
        has(
            &text,
            &format!("kafka_connect_connector_task_metrics_offset_commit_avg_time_ms{l} 20.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!("kafka_connect_connector_task_metrics_offset_commit_max_time_ms{l} 30.0")
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!(
                "kafka_connect_connector_task_metrics_offset_commit_success_percentage{l} 0.75"
            )
        ),
        "{text}"
    );
    assert!(
        has(
            &text,
            &format!(
                "kafka_connect_connector_task_metrics_offset_commit_failure_percentage{l} 0.25"
            )
        ),
        "{text}"
    );
}

#[test]
fn the_names_parameter_accepts_the_two_rule_sets_only() {
    assert_eq!(Names::parse("strimzi"), Some(Names::Strimzi));
    assert_eq!(Names::parse("confluent"), Some(Names::Confluent));
    assert_eq!(Names::parse("jmx"), None);
}

#[test]
fn commit_percentages_are_zero_before_any_commit_as_kafkas_frequencies_are() {
    let m = WorkerMetrics::default();
    m.start_task("c", 0, TaskKind::Sink);
    let text = m.render(&[], Names::Confluent);
    let l = r#"{connector="c",task="0"}"#;
    for attr in ["success", "failure"] {
        let line =
            format!("kafka_connect_connector_task_metrics_offset_commit_{attr}_percentage{l} 0.0");
        assert!(has(&text, &line), "{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn rebalance_metrics_exist_in_a_group_and_follow_the_members_assignments() {
    let m = WorkerMetrics::default();
    // Outside a group (standalone) there is no such MBean.
    for names in [Names::Strimzi, Names::Confluent] {
        let text = m.render(&snapshot(), names);
        assert!(!text.contains("rebalance"), "{text}");
    }
    m.join_group(Some(1));
    let text = m.render(&[], Names::Strimzi);
    for line in [
        r#"kafka_connect_worker_rebalance_connect_protocol{connect_protocol="COMPATIBLE"} 1.0"#,
        "kafka_connect_worker_rebalance_epoch 0.0",
        "kafka_connect_worker_rebalance_completed_rebalances_total 0.0",
        "kafka_connect_worker_rebalance_rebalancing 0.0",
        "kafka_connect_worker_rebalance_rebalance_max_time_ms NaN",
        "kafka_connect_worker_rebalance_rebalance_avg_time_ms NaN",
        "kafka_connect_worker_rebalance_time_since_last_rebalance_ms inf",
    ] {
        assert!(has(&text, line), "{line}\n{text}");
    }
    assert!(!text.contains("leader_name"), "{text}");

    m.rebalance_started(7, "http://a:8083/", 2);
    tokio::time::advance(Duration::from_millis(250)).await;
    let text = m.render(&[], Names::Strimzi);
    assert!(
        has(&text, "kafka_connect_worker_rebalance_rebalancing 1.0"),
        "{text}"
    );
    m.rebalance_succeeded();
    tokio::time::advance(Duration::from_millis(1000)).await;

    let text = m.render(&[], Names::Strimzi);
    for line in [
        r#"kafka_connect_worker_rebalance_connect_protocol{connect_protocol="SESSIONED"} 1.0"#,
        r#"kafka_connect_worker_rebalance_leader_name{leader_name="http://a:8083/"} 1.0"#,
        "kafka_connect_worker_rebalance_epoch 7.0",
        "kafka_connect_worker_rebalance_completed_rebalances_total 1.0",
        "kafka_connect_worker_rebalance_rebalancing 0.0",
        "kafka_connect_worker_rebalance_rebalance_max_time_ms 250.0",
        "kafka_connect_worker_rebalance_rebalance_avg_time_ms 250.0",
        "kafka_connect_worker_rebalance_time_since_last_rebalance_ms 1000.0",
    ] {
        assert!(has(&text, line), "{line}\n{text}");
    }
    assert!(
        text.contains("# TYPE kafka_connect_worker_rebalance_completed_rebalances counter"),
        "{text}"
    );

    // Confluent's rule exports the numbers only: strings without a `value` are dropped.
    let text = m.render(&[], Names::Confluent);
    for line in [
        "kafka_connect_connect_worker_rebalance_metrics_epoch 7.0",
        "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total 1.0",
        "kafka_connect_connect_worker_rebalance_metrics_rebalancing 0.0",
        "kafka_connect_connect_worker_rebalance_metrics_rebalance_max_time_ms 250.0",
        "kafka_connect_connect_worker_rebalance_metrics_time_since_last_rebalance_ms 1000.0",
    ] {
        assert!(has(&text, line), "{line}\n{text}");
    }
    assert!(!text.contains("leader_name"), "{text}");
    assert!(!text.contains("connect_protocol"), "{text}");
}
