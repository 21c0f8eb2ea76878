//! A worker configured as a JVM worker is for OAUTHBEARER with Kafka's OIDC login callback
//! handler fetches its token from the endpoint: librdkafka does the client-credentials grant
//! through its built-in curl. A librdkafka built without curl refuses
//! `sasl.oauthbearer.method=oidc` when the client is created, so this fails if curl is lost
//! from the build. No broker is needed: the token is fetched when the client starts.

use std::time::Duration;

use connect_runtime::kafka::{ClientProps, KafkaClients};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An unsigned JWT for `sluice-client` that expires in 2100 (librdkafka reads `sub` and `exp`).
const TOKEN: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJzbHVpY2UtY2xpZW50IiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3NjUwMDAwMDB9.c2ln";

/// Reads one HTTP request (headers and a `Content-Length` body) and answers it with `TOKEN`.
async fn serve_one_token(listener: TcpListener) -> std::io::Result<String> {
    let (mut socket, _) = listener.accept().await?;
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    let body = format!(r#"{{"access_token":"{TOKEN}","token_type":"bearer","expires_in":3600}}"#);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await?;
    Ok(String::from_utf8_lossy(&request).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oidc_login_fetches_its_token_with_the_client_credentials_grant() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/oauth2/token", listener.local_addr().unwrap());
    let served = tokio::spawn(serve_one_token(listener));

    let worker: ClientProps = [
        ("bootstrap.servers", "127.0.0.1:1"),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        (
            "sasl.login.callback.handler.class",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        ),
        ("sasl.oauthbearer.token.endpoint.url", endpoint.as_str()),
        (
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId="sluice-client" clientSecret="s3cret" scope="kafka";"#,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let clients = KafkaClients::new(worker).unwrap();
    let _producer = clients.producer(&ClientProps::new()).unwrap();

    let request = tokio::time::timeout(Duration::from_secs(30), served)
        .await
        .expect("librdkafka never called the token endpoint")
        .unwrap()
        .unwrap();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("POST /oauth2/token "), "{head}");
    let authorization = head
        .lines()
        .find_map(|l| l.strip_prefix("Authorization: "))
        .unwrap_or_default();
    // base64("sluice-client:s3cret")
    assert_eq!(authorization, "Basic c2x1aWNlLWNsaWVudDpzM2NyZXQ=");
    assert!(body.contains("grant_type=client_credentials"), "{body}");
    assert!(body.contains("scope=kafka"), "{body}");
}
