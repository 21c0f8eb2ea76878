//! A reader of Sun's JKS keystore format (`sun.security.provider.JavaKeyStore`), so a
//! `ssl.truststore.type=JKS` file works without converting it first. The format:
//! magic `FEEDFEED`, version 1 or 2, an entry count, then per entry a tag (1: private key,
//! 2: trusted certificate), a modified-UTF-8 alias, a timestamp and the DER blobs (version 2
//! names each certificate's type), and last a SHA-1 over the password's UTF-16BE bytes,
//! `"Mighty Aphrodite"` and everything before it. Private keys are `EncryptedPrivateKeyInfo`
//! with Sun's `KeyProtector` (OID 1.3.6.1.4.1.42.2.17.1.1): a SHA-1 keystream seeded by a
//! 20-byte salt, and a SHA-1 check of the plain PKCS#8 key.

use openssl::sha::Sha1;

/// The magic of a JKS file.
pub(crate) const MAGIC: u32 = 0xFEED_FEED;
const JCEKS_MAGIC: u32 = 0xCECE_CECE;
/// DER of OID 1.3.6.1.4.1.42.2.17.1.1 (Sun's KeyProtector).
const KEY_PROTECTOR_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x2a, 0x02, 0x11, 0x01, 0x01];

/// A private key entry: the still-protected key and its certificate chain (DER).
pub(crate) struct KeyEntry {
    pub(crate) alias: String,
    protected: Vec<u8>,
    pub(crate) chain: Vec<Vec<u8>>,
}

/// What a JKS file holds.
pub(crate) struct Jks {
    pub(crate) keys: Vec<KeyEntry>,
    pub(crate) trusted: Vec<Vec<u8>>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

const TRUNCATED: &str = "the JKS file is truncated";

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or(TRUNCATED)?;
        let s = self.data.get(self.pos..end).ok_or(TRUNCATED)?;
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn utf(&mut self) -> Result<String, String> {
        let n = self.u16()? as usize;
        // Modified UTF-8 differs from UTF-8 only for NUL and supplementary characters, which
        // aliases and type names do not use; a lossy read keeps a wrong byte from failing.
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    fn blob(&mut self) -> Result<Vec<u8>, String> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
}

fn password_bytes(password: &str) -> Vec<u8> {
    password.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Reads a JKS file; with a password, checks its integrity digest (Java skips the check when
/// no password is given, as for a truststore without `ssl.truststore.password`).
pub(crate) fn read(data: &[u8], password: Option<&str>) -> Result<Jks, String> {
    let mut r = Reader { data, pos: 0 };
    match r.u32()? {
        MAGIC => {}
        JCEKS_MAGIC => return Err("JCEKS keystores are not supported; use JKS or PKCS12".into()),
        _ => return Err("not a JKS keystore (bad magic number)".into()),
    }
    let version = r.u32()?;
    if version != 1 && version != 2 {
        return Err(format!("unsupported JKS version {version}"));
    }
    let count = r.u32()?;
    let mut jks = Jks {
        keys: Vec::new(),
        trusted: Vec::new(),
    };
    for _ in 0..count {
        let tag = r.u32()?;
        let alias = r.utf()?;
        r.take(8)?;
        match tag {
            1 => {
                let protected = r.blob()?;
                let n = r.u32()?;
                let mut chain = Vec::new();
                for _ in 0..n {
                    if version == 2 {
                        r.utf()?;
                    }
                    chain.push(r.blob()?);
                }
                jks.keys.push(KeyEntry {
                    alias,
                    protected,
                    chain,
                });
            }
            2 => {
                if version == 2 {
                    r.utf()?;
                }
                jks.trusted.push(r.blob()?);
            }
            // Tag 3 (secret keys) exists only in JCEKS.
            other => return Err(format!("unknown JKS entry type {other}")),
        }
    }
    let body_end = r.pos;
    let digest = r.take(20)?;
    if r.pos != data.len() {
        return Err("the JKS file has trailing bytes after its digest".into());
    }
    if let Some(pw) = password {
        let mut h = Sha1::new();
        h.update(&password_bytes(pw));
        h.update(b"Mighty Aphrodite");
        h.update(&data[..body_end]);
        if h.finish() != digest {
            return Err(
                "Keystore was tampered with, or password was incorrect (JKS integrity check failed)"
                    .into(),
            );
        }
    }
    Ok(jks)
}

/// A DER TLV at the start of `data`: (tag, contents, rest).
fn der(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, start) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in data.get(2..2 + n)? {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    let end = start.checked_add(len)?;
    Some((tag, data.get(start..end)?, data.get(end..)?))
}

impl KeyEntry {
    /// The PKCS#8 DER of the key, unprotected with `password`.
    pub(crate) fn decrypt(&self, password: &str) -> Result<Vec<u8>, String> {
        let bad = || {
            format!(
                "the protected key of JKS entry '{}' is malformed",
                self.alias
            )
        };
        let (_, seq, _) = der(&self.protected).ok_or_else(bad)?;
        let (_, alg, rest) = der(seq).ok_or_else(bad)?;
        let (_, oid, _) = der(alg).ok_or_else(bad)?;
        if oid != KEY_PROTECTOR_OID {
            return Err(format!(
                "JKS entry '{}' uses a key protection other than Sun's KeyProtector",
                self.alias
            ));
        }
        let (_, data, _) = der(rest).ok_or_else(bad)?;
        if data.len() < 40 {
            return Err(bad());
        }
        let (salt, tail) = data.split_at(20);
        let (encrypted, check) = tail.split_at(tail.len() - 20);
        let pw = password_bytes(password);
        let mut plain = Vec::with_capacity(encrypted.len());
        let mut digest: [u8; 20] = salt.try_into().map_err(|_| bad())?;
        for chunk in encrypted.chunks(20) {
            let mut h = Sha1::new();
            h.update(&pw);
            h.update(&digest);
            digest = h.finish();
            plain.extend(chunk.iter().zip(digest).map(|(c, k)| c ^ k));
        }
        let mut h = Sha1::new();
        h.update(&pw);
        h.update(&plain);
        if h.finish() != check {
            return Err(format!(
                "Cannot recover key: the key password is wrong for JKS entry '{}'",
                self.alias
            ));
        }
        Ok(plain)
    }
}
