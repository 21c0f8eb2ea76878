//! A Kafka broker that speaks only TLS, and the certificates and stores to reach it.
//!
//! tansu 0.6 cannot serve TLS itself (its CLI refuses `--cert` with `--key`), so a private
//! tansu listens on a loopback port and advertises the port of a `stunnel4` in front of it:
//! every client connection, the bootstrap one and those made from metadata, is TLS. With
//! [`TlsBrokerOptions::client_auth`] stunnel also requires a client certificate signed by the
//! test CA; with [`TlsBrokerOptions::scram`] tansu requires SASL (SCRAM-SHA-256/512) and
//! [`TlsBroker::add_scram_user`] adds users. The shared broker cannot be fronted: it advertises
//! its own plaintext port.
//!
//! [`Pki`] makes, per test, a CA, a broker certificate for `localhost` only (so connecting by
//! IP is a host-name mismatch), a client certificate, the client's trust and key stores in
//! PEM, PKCS12 and JKS (`openssl` and `keytool`, as a user would), a foreign CA, and broker
//! certificates that fail verification: an expired one and one for another host name.
//! [`client_settings`] gives Kafka's Java client settings for each store type.

use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::process::{Supervised, temp_dir};
use crate::{BoxError, free_port, program, ready_timeout, wait_until};

/// The password of every store [`Pki`] writes (and of the JKS key entry).
pub const STORE_PASSWORD: &str = "store-secret-1";

/// Certificates and stores for one test, in a temp folder removed on drop.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
}

/// A store format of Kafka's `ssl.truststore.type` / `ssl.keystore.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreType {
    Pem,
    Pkcs12,
    Jks,
}

/// How a PEM store is given: as a file (`ssl.*.location`) or inline
/// (`ssl.truststore.certificates`, `ssl.keystore.certificate.chain`, `ssl.keystore.key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemAs {
    File,
    Inline,
}

fn run(cmd: &mut std::process::Command) -> Result<(), BoxError> {
    let out = cmd
        .output()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)).into())
    }
}

impl Pki {
    /// Generates everything (about a second: four RSA keys and two `keytool` runs).
    ///
    /// # Errors
    /// When `openssl` or `keytool` is missing or fails.
    pub fn generate() -> Result<Self, BoxError> {
        let pki = Self {
            dir: tempfile::Builder::new().prefix("sluice-pki-").tempdir()?,
        };
        let p = |f: &str| pki.path(f).display().to_string();
        let openssl = || std::process::Command::new("openssl");
        let keytool = || std::process::Command::new("keytool");
        for ca in ["ca", "foreign-ca"] {
            run(openssl().args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN={ca}"),
                "-keyout",
                &p(&format!("{ca}.key")),
                "-out",
                &p(&format!("{ca}.pem")),
            ]))?;
        }
        // X.509 v3 certificates (v1 is what `x509 -req` makes without extensions, and rustls
        // refuses it).
        std::fs::write(pki.path("broker.ext"), "subjectAltName=DNS:localhost\n")?;
        std::fs::write(
            pki.path("client.ext"),
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        )?;
        for (name, cn) in [("broker", "localhost"), ("client", "client")] {
            run(openssl().args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                &format!("/CN={cn}"),
                "-keyout",
                &p(&format!("{name}.key")),
                "-out",
                &p(&format!("{name}.csr")),
            ]))?;
            run(openssl().args([
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &p(&format!("{name}.csr")),
                "-CA",
                &p("ca.pem"),
                "-CAkey",
                &p("ca.key"),
                "-CAcreateserial",
                "-out",
                &p(&format!("{name}.pem")),
                "-extfile",
                &p(&format!("{name}.ext")),
            ]))?;
        }
        run(openssl().args([
            "pkcs12",
            "-export",
            "-in",
            &p("client.pem"),
            "-inkey",
            &p("client.key"),
            "-name",
            "client",
            "-out",
            &p("client.p12"),
            "-passout",
            &format!("pass:{STORE_PASSWORD}"),
        ]))?;
        run(keytool().args([
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            &p("client.p12"),
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PASSWORD,
            "-destkeystore",
            &p("client.jks"),
            "-deststoretype",
            "JKS",
            "-deststorepass",
            STORE_PASSWORD,
        ]))?;
        for (ca, file, ty) in [
            ("ca", "trust.jks", "JKS"),
            ("ca", "trust.p12", "PKCS12"),
            ("foreign-ca", "foreign.jks", "JKS"),
        ] {
            run(keytool().args([
                "-importcert",
                "-noprompt",
                "-alias",
                "ca",
                "-file",
                &p(&format!("{ca}.pem")),
                "-keystore",
                &p(file),
                "-storetype",
                ty,
                "-storepass",
                STORE_PASSWORD,
            ]))?;
        }
        pki.write_broker_cert("broker-expired.pem", "localhost", true)?;
        pki.write_broker_cert("broker-othername.pem", "kafka.invalid", false)?;
        Ok(pki)
    }

    /// A file of this PKI (`ca.pem`, `client.p12`, `trust.jks`, `foreign.jks`, …).
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// A file's text (PEM files).
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn text(&self, file: &str) -> Result<String, BoxError> {
        Ok(std::fs::read_to_string(self.path(file))?)
    }

    /// A certificate for the broker's key, signed by the CA, naming `host`; `expired`: valid
    /// only in 2020. OpenSSL 3.0's CLI cannot back-date a certificate, so it is built with the
    /// library.
    fn write_broker_cert(&self, file: &str, host: &str, expired: bool) -> Result<(), BoxError> {
        use openssl::asn1::Asn1Time;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::x509::extension::SubjectAlternativeName;
        use openssl::x509::{X509, X509Builder, X509NameBuilder};
        let read = |f: &str| std::fs::read(self.path(f));
        let ca = X509::from_pem(&read("ca.pem")?)?;
        let ca_key = PKey::private_key_from_pem(&read("ca.key")?)?;
        let current = X509::from_pem(&read("broker.pem")?)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("CN", host)?;
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        b.set_serial_number(current.serial_number())?;
        b.set_subject_name(&name.build())?;
        b.set_issuer_name(ca.subject_name())?;
        let key = current.public_key()?;
        b.set_pubkey(&key)?;
        if expired {
            let (from, to) = (
                Asn1Time::from_str("20200101000000Z")?,
                Asn1Time::from_str("20200102000000Z")?,
            );
            b.set_not_before(&from)?;
            b.set_not_after(&to)?;
        } else {
            b.set_not_before(current.not_before())?;
            b.set_not_after(current.not_after())?;
        }
        let san = SubjectAlternativeName::new()
            .dns(host)
            .build(&b.x509v3_context(Some(&ca), None))?;
        b.append_extension(san)?;
        b.sign(&ca_key, MessageDigest::sha256())?;
        std::fs::write(self.path(file), b.build().to_pem()?)?;
        Ok(())
    }
}

/// Kafka's Java client settings for TLS with `store`: the test CA as trust store and, with
/// `client_cert`, the client certificate as key store. `prefix` goes before every key
/// (`producer.override.`, `schema.history.internal.consumer.`, or empty).
///
/// # Errors
/// When a PEM file of the PKI cannot be read (inline PEM).
pub fn client_settings(
    pki: &Pki,
    prefix: &str,
    store: StoreType,
    pem: PemAs,
    client_cert: bool,
) -> Result<Vec<(String, String)>, BoxError> {
    let path = |f: &str| pki.path(f).display().to_string();
    let pw = STORE_PASSWORD.to_owned();
    let mut out: Vec<(&str, String)> = Vec::new();
    match (store, pem) {
        (StoreType::Pem, PemAs::Inline) => {
            out.push(("ssl.truststore.type", "PEM".into()));
            out.push(("ssl.truststore.certificates", pki.text("ca.pem")?));
            if client_cert {
                out.push(("ssl.keystore.type", "PEM".into()));
                out.push(("ssl.keystore.certificate.chain", pki.text("client.pem")?));
                out.push(("ssl.keystore.key", pki.text("client.key")?));
            }
        }
        (StoreType::Pem, PemAs::File) => {
            out.push(("ssl.truststore.type", "PEM".into()));
            out.push(("ssl.truststore.location", path("ca.pem")));
            if client_cert {
                // Kafka's PEM key store file: the private key and the certificate chain.
                let combined = format!("{}{}", pki.text("client.key")?, pki.text("client.pem")?);
                std::fs::write(pki.path("client-combined.pem"), combined)?;
                out.push(("ssl.keystore.type", "PEM".into()));
                out.push(("ssl.keystore.location", path("client-combined.pem")));
            }
        }
        (StoreType::Pkcs12, _) => {
            out.push(("ssl.truststore.type", "PKCS12".into()));
            out.push(("ssl.truststore.location", path("trust.p12")));
            out.push(("ssl.truststore.password", pw.clone()));
            if client_cert {
                out.push(("ssl.keystore.type", "PKCS12".into()));
                out.push(("ssl.keystore.location", path("client.p12")));
                out.push(("ssl.keystore.password", pw));
            }
        }
        (StoreType::Jks, _) => {
            // Explicit types, so that an override switches from the worker's store type.
            out.push(("ssl.truststore.type", "JKS".into()));
            out.push(("ssl.truststore.location", path("trust.jks")));
            out.push(("ssl.truststore.password", pw.clone()));
            if client_cert {
                out.push(("ssl.keystore.type", "JKS".into()));
                out.push(("ssl.keystore.location", path("client.jks")));
                out.push(("ssl.keystore.password", pw.clone()));
                out.push(("ssl.key.password", pw));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(k, v)| (format!("{prefix}{k}"), v))
        .collect())
}

/// Kafka's Java settings for SCRAM over TLS (`security.protocol` is set by the caller).
pub fn scram_settings(
    prefix: &str,
    mechanism: &str,
    user: &str,
    password: &str,
) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}sasl.mechanism"), mechanism.to_owned()),
        (
            format!("{prefix}sasl.jaas.config"),
            format!(
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{password}";"#
            ),
        ),
    ]
}

/// What the TLS broker requires and presents.
#[derive(Debug, Clone, Default)]
pub struct TlsBrokerOptions {
    /// stunnel requires a client certificate signed by the test CA (mutual TLS).
    pub client_auth: bool,
    /// tansu requires SASL (`--authentication`: SCRAM-SHA-256 and SCRAM-SHA-512).
    pub scram: bool,
    /// The certificate the broker presents.
    pub certificate: BrokerCertificate,
}

/// A broker certificate signed by the test CA.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BrokerCertificate {
    /// For `localhost`, valid now.
    #[default]
    Valid,
    /// For `localhost`, expired in 2020.
    Expired,
    /// Valid now, for `kafka.invalid`: connecting to `localhost` is a host-name mismatch.
    OtherName,
}

/// A private tansu behind stunnel; see the module docs.
#[derive(Debug)]
pub struct TlsBroker {
    _tansu: Supervised,
    _stunnel: Supervised,
    tls_port: u16,
    dir: PathBuf,
}

impl TlsBroker {
    /// Starts tansu and stunnel on free loopback ports and waits until both accept.
    ///
    /// # Errors
    /// When `tansu` or `stunnel4` is missing or does not come up (the message has its log).
    pub async fn start(pki: &Pki, options: &TlsBrokerOptions) -> Result<Self, BoxError> {
        let mut last = None;
        // A free port can be taken before tansu or stunnel binds it: retry on new ones.
        for _ in 0..3 {
            match Self::start_once(pki, options).await {
                Ok(b) => return Ok(b),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| "the TLS broker did not start".into()))
    }

    async fn start_once(pki: &Pki, options: &TlsBrokerOptions) -> Result<Self, BoxError> {
        let tansu = program("tansu", "run `scripts/stack.sh install`")?;
        let stunnel = program("stunnel4", "install Debian's stunnel4")?;
        let dir = temp_dir("sluice-tls-broker-")?;
        let (plain, tls_port) = (free_port()?, free_port()?);
        let mut cmd = Command::new(&tansu);
        cmd.arg("broker")
            .args(["--listener-url", &format!("tcp://127.0.0.1:{plain}")])
            // The name the broker certificate carries, at the TLS port.
            .args([
                "--advertised-listener-url",
                &format!("tcp://localhost:{tls_port}"),
            ])
            .args([
                "--storage-engine",
                &format!("sqlite:///{}", dir.join("tansu.db").display()),
            ])
            .current_dir(&dir);
        if options.scram {
            cmd.arg("--authentication");
        }
        let mut tansu = Supervised::spawn("tansu", cmd, &dir.join("tansu.log"), Some(&dir))?;
        let plain_addr = format!("127.0.0.1:{plain}");
        if !wait_until(ready_timeout(), || {
            let up = tansu.exited().is_none();
            let addr = plain_addr.clone();
            async move { up && crate::broker::tcp_ok(&addr).await }
        })
        .await
        {
            return Err(tansu.startup_error("did not accept connections"));
        }
        let cert = match options.certificate {
            BrokerCertificate::Valid => "broker.pem",
            BrokerCertificate::Expired => "broker-expired.pem",
            BrokerCertificate::OtherName => "broker-othername.pem",
        };
        let mut conf = format!(
            "foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{tls_port}\nconnect = {plain_addr}\ncert = {}\nkey = {}\n",
            pki.path(cert).display(),
            pki.path("broker.key").display(),
        );
        if options.client_auth {
            conf.push_str(&format!(
                "CAfile = {}\nverifyChain = yes\n",
                pki.path("ca.pem").display()
            ));
        }
        let conf_path = dir.join("stunnel.conf");
        std::fs::write(&conf_path, conf)?;
        let mut cmd = Command::new(&stunnel);
        cmd.arg(&conf_path).current_dir(&dir);
        let mut stunnel = Supervised::spawn("stunnel4", cmd, &dir.join("stunnel.log"), None)?;
        let tls_addr = format!("127.0.0.1:{tls_port}");
        if !wait_until(ready_timeout(), || {
            let up = stunnel.exited().is_none();
            let addr = tls_addr.clone();
            async move { up && crate::broker::tcp_ok(&addr).await }
        })
        .await
        {
            return Err(stunnel.startup_error("did not accept connections"));
        }
        Ok(Self {
            _tansu: tansu,
            _stunnel: stunnel,
            tls_port,
            dir,
        })
    }

    /// `localhost:<tls port>`, the name on the broker's certificate.
    pub fn bootstrap(&self) -> String {
        format!("localhost:{}", self.tls_port)
    }

    /// `127.0.0.1:<tls port>`: the same broker under a name its certificate does not carry.
    pub fn bootstrap_by_ip(&self) -> String {
        format!("127.0.0.1:{}", self.tls_port)
    }

    /// Adds a SCRAM-SHA-256 and SCRAM-SHA-512 credential for `user` to tansu's store, as
    /// `kafka-configs --alter --add-config 'SCRAM-SHA-256=[password=…]'` would through
    /// AlterUserScramCredentials (which librdkafka does not expose and tansu's CLI lacks):
    /// RFC 5802's salted password, stored key and server key, written with Python's sqlite3.
    ///
    /// # Errors
    /// When `python3` fails or tansu has not created its cluster row yet.
    pub fn add_scram_user(&self, user: &str, password: &str) -> Result<(), BoxError> {
        const SCRIPT: &str = r#"
import hashlib, hmac, os, sqlite3, sys
db, user, password = sys.argv[1:4]
con = sqlite3.connect(db, timeout=30)
for mechanism, h in ((1, "sha256"), (2, "sha512")):
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(h, password.encode(), salt, 4096)
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored_key = hashlib.new(h, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", h).digest()
    con.execute("insert into scram_credential (cluster, username, mechanism, salt, iterations, stored_key, server_key) select id, ?, ?, ?, 4096, ?, ? from cluster", (user, mechanism, salt, stored_key, server_key))
con.commit()
assert con.execute("select count(*) from scram_credential where username = ?", (user,)).fetchone()[0] == 2, "no cluster row"
"#;
        run(std::process::Command::new("python3")
            .args(["-c", SCRIPT])
            .arg(self.dir.join("tansu.db"))
            .args([user, password]))
    }

    /// The folder holding tansu's and stunnel's logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
