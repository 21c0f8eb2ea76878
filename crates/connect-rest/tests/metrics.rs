//! `GET /metrics`: the exposition is served whatever a scraper accepts, with the OpenMetrics
//! content type, and an unknown rule-set name is a 400 in the error shape.

mod common;

use common::App;

#[tokio::test]
async fn metrics_answer_in_the_exposition_format_even_to_a_text_plain_scraper() {
    let app = App::new();
    for accept in [
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        "text/plain",
    ] {
        let r = app.send("GET", "/metrics", &[("accept", accept)], "").await;
        assert_eq!(r.status.as_u16(), 200, "{accept}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
        );
        assert!(r.body.ends_with("# EOF\n"), "{}", r.body);
    }
    app.get("/metrics?names=confluent")
        .await
        .assert(200, "# EOF\n");
}

#[tokio::test]
async fn an_unknown_rule_set_name_is_a_bad_request() {
    App::new()
        .get("/metrics?names=jmx")
        .await
        .assert_error(400, "Unknown metric names 'jmx': use strimzi or confluent");
}

#[tokio::test]
async fn other_paths_still_refuse_a_client_that_accepts_no_json() {
    let r = App::new()
        .send("GET", "/connectors", &[("accept", "text/plain")], "")
        .await;
    assert_eq!(r.status.as_u16(), 406);
}
