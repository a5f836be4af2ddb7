//! The key that encrypts values at rest and hashes tokens.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use super::backend::StorageError;

/// The environment variable that carries the seal key (standard base64 of 32 bytes), taking the
/// place of a key file.
pub const SEAL_KEY_ENV: &str = "PODPASS_SEAL_KEY";

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

// One master key, independent subkeys: a leak or misuse of one purpose (say, a token hash
// shown in a log) reveals nothing about the others.
const VALUE_ENCRYPTION_LABEL: &[u8] = b"podpass seal key v1: value encryption";
const TOKEN_HASH_LABEL: &[u8] = b"podpass seal key v1: token hash";
const NONCE_LABEL: &[u8] = b"podpass seal key v1: nonce";
const AUDIT_HMAC_LABEL: &[u8] = b"podpass seal key v1: audit hmac";

const KEY_TEXT_HINT: &str = "expected the standard base64 encoding of 32 random bytes (e.g. `head -c 32 /dev/urandom | base64`)";

type HmacSha256 = Hmac<Sha256>;

/// The 32-byte key that encrypts values at rest.
///
/// Values are sealed with XChaCha20-Poly1305 and tokens hashed with HMAC-SHA256, each under its
/// own subkey derived from this key. Its `Debug` output never shows key material.
pub struct SealKey {
    cipher: XChaCha20Poly1305,
    token_mac: HmacSha256,
    nonce_mac: HmacSha256,
    audit_mac: HmacSha256,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SealKey").finish_non_exhaustive()
    }
}

impl SealKey {
    /// A fresh random key from the operating system's random number generator.
    pub fn generate() -> Result<SealKey, StorageError> {
        SealKey::from_bytes(&random_key_bytes()?)
    }

    /// Reads the key (standard base64 of 32 bytes) from the file at `path`; when the file is
    /// missing, creates it with mode 0600 holding a new random key.
    ///
    /// On Unix, an existing file that group or others may access is refused (as ssh refuses a
    /// loose private key): the key protects every secret in the store. Creation is atomic (a
    /// temporary file renamed into place without replacing anything), so two servers starting at
    /// once agree on one key and a crash never leaves a half-written key behind.
    pub fn load_or_create(path: &Path) -> Result<SealKey, StorageError> {
        match fs::metadata(path) {
            Ok(_) => load_key_file(path),
            Err(error) if error.kind() == ErrorKind::NotFound => create_key_file(path),
            Err(error) => Err(key_file_error(path, format!("cannot inspect: {error}"))),
        }
    }

    /// From the environment variable's value (base64 of 32 bytes). Surrounding whitespace is
    /// ignored.
    pub fn from_base64(text: &str) -> Result<SealKey, StorageError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StorageError::InvalidSealKey(format!(
                "the key text is empty; {KEY_TEXT_HINT}"
            )));
        }
        let bytes = STANDARD.decode(text).map_err(|error| {
            StorageError::InvalidSealKey(format!("not valid base64 ({error}); {KEY_TEXT_HINT}"))
        })?;
        let bytes: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
            StorageError::InvalidSealKey(format!(
                "decodes to {} bytes, not {KEY_LEN}; {KEY_TEXT_HINT}",
                bytes.len()
            ))
        })?;
        SealKey::from_bytes(&bytes)
    }

    fn from_bytes(master: &[u8; KEY_LEN]) -> Result<SealKey, StorageError> {
        let cipher =
            XChaCha20Poly1305::new_from_slice(&derive_subkey(master, VALUE_ENCRYPTION_LABEL)?)
                .map_err(|error| StorageError::InvalidSealKey(error.to_string()))?;
        Ok(SealKey {
            cipher,
            token_mac: keyed_mac(&derive_subkey(master, TOKEN_HASH_LABEL)?)?,
            nonce_mac: keyed_mac(&derive_subkey(master, NONCE_LABEL)?)?,
            audit_mac: keyed_mac(&derive_subkey(master, AUDIT_HMAC_LABEL)?)?,
        })
    }

    /// A keyed hash of `token` (HMAC-SHA256 under a subkey of this key) as lowercase hex:
    /// tokens are stored only under this hash, so a copy of the database reveals no usable
    /// token and cannot be searched for guessed ones without the key.
    pub fn token_hash(&self, token: &str) -> String {
        let mut mac = self.token_mac.clone();
        mac.update(token.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// How the audit log shows a sensitive value: `hmac-sha256:<hex>` under the audit subkey
    /// (the form Vault's audit devices use). Its own subkey, so an audit line can be matched
    /// against a value the operator already knows (by hashing it with the same key) but never
    /// against the stored token hashes.
    pub fn audit_hmac(&self, value: &str) -> String {
        let mut mac = self.audit_mac.clone();
        mac.update(value.as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("hmac-sha256:{hex}")
    }

    /// Encrypts and authenticates `plaintext` with XChaCha20-Poly1305, binding it to `purpose`
    /// (the associated data): the result is the 24-byte nonce followed by the ciphertext and tag.
    ///
    /// Returns an empty vector, which never opens, only if the plaintext exceeds the cipher's
    /// limit (256 GiB); [`SealKey::try_seal`] reports that case as an error instead.
    pub fn seal(&self, purpose: &[u8], plaintext: &[u8]) -> Vec<u8> {
        self.try_seal(purpose, plaintext).unwrap_or_default()
    }

    /// Like [`SealKey::seal`], with the (practically unreachable) too-long case as an error.
    pub fn try_seal(&self, purpose: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StorageError> {
        let nonce = self.nonce_for(purpose, plaintext);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: purpose,
                },
            )
            .map_err(|_| {
                StorageError::Encoding(format!(
                    "cannot encrypt a {}-byte value: too long for XChaCha20-Poly1305",
                    plaintext.len()
                ))
            })?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a value made by [`SealKey::seal`] with the same `purpose`; `None` when it is
    /// forged, corrupt, truncated, sealed for another purpose or under another key.
    pub fn open(&self, purpose: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: purpose,
                },
            )
            .ok()
    }

    /// A nonce that is random, hedged: it is an HMAC over fresh OS randomness *and* the message,
    /// so even if the random number generator failed, two different messages would still never
    /// share a nonce (the worst case is that identical messages seal identically).
    fn nonce_for(&self, purpose: &[u8], plaintext: &[u8]) -> XNonce {
        let mut randomness = [0u8; 32];
        if let Err(error) = getrandom::fill(&mut randomness) {
            tracing::warn!(%error, "OS randomness unavailable; sealing with a message-derived nonce");
        }
        let mut mac = self.nonce_mac.clone();
        mac.update(&randomness);
        mac.update(&(purpose.len() as u64).to_be_bytes());
        mac.update(purpose);
        mac.update(plaintext);
        let digest = mac.finalize().into_bytes();
        let mut nonce = XNonce::default();
        nonce.copy_from_slice(&digest[..NONCE_LEN]);
        nonce
    }
}

/// A subkey for one purpose: HMAC-SHA256 of a fixed label under the master key (a PRF used as
/// a KDF, as in NIST SP 800-108 with a single output block).
fn derive_subkey(master: &[u8; KEY_LEN], label: &[u8]) -> Result<[u8; KEY_LEN], StorageError> {
    let mut mac = keyed_mac(master)?;
    mac.update(label);
    Ok(mac.finalize().into_bytes().into())
}

fn keyed_mac(key: &[u8]) -> Result<HmacSha256, StorageError> {
    // HMAC accepts keys of any length, so this never fails in practice.
    HmacSha256::new_from_slice(key).map_err(|error| StorageError::InvalidSealKey(error.to_string()))
}

fn random_key_bytes() -> Result<[u8; KEY_LEN], StorageError> {
    let mut bytes = [0u8; KEY_LEN];
    getrandom::fill(&mut bytes).map_err(|error| StorageError::Random(error.to_string()))?;
    Ok(bytes)
}

fn key_file_error(path: &Path, reason: String) -> StorageError {
    StorageError::KeyFile {
        path: path.to_path_buf(),
        reason,
    }
}

fn load_key_file(path: &Path) -> Result<SealKey, StorageError> {
    refuse_loose_permissions(path)?;
    let text = fs::read_to_string(path)
        .map_err(|error| key_file_error(path, format!("cannot read: {error}")))?;
    SealKey::from_base64(&text).map_err(|error| key_file_error(path, error.to_string()))
}

#[cfg(unix)]
fn refuse_loose_permissions(path: &Path) -> Result<(), StorageError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = fs::metadata(path)
        .map_err(|error| key_file_error(path, format!("cannot inspect: {error}")))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(key_file_error(
            path,
            format!(
                "group or others may access it (mode {:03o}); restrict it with `chmod 600 {}`",
                mode & 0o777,
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_loose_permissions(_path: &Path) -> Result<(), StorageError> {
    Ok(())
}

fn create_key_file(path: &Path) -> Result<SealKey, StorageError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let bytes = random_key_bytes()?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".podpass-seal-key-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    let mut file = builder.tempfile_in(directory).map_err(|error| {
        key_file_error(
            path,
            format!("cannot create it in {}: {error}", directory.display()),
        )
    })?;
    file.write_all(format!("{}\n", STANDARD.encode(bytes)).as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|error| key_file_error(path, format!("cannot write: {error}")))?;
    match file.persist_noclobber(path) {
        Ok(_) => {}
        // Another process created the key first: everyone must use that one.
        Err(error) if error.error.kind() == ErrorKind::AlreadyExists => {
            return load_key_file(path);
        }
        Err(error) => {
            return Err(key_file_error(
                path,
                format!("cannot move it into place: {}", error.error),
            ));
        }
    }
    sync_directory(directory)
        .map_err(|error| key_file_error(path, format!("cannot sync its directory: {error}")))?;
    tracing::info!(
        path = %path.display(),
        "created a new seal key; back it up: without it the stored secrets cannot be read"
    );
    SealKey::from_bytes(&bytes)
}

/// Makes the new directory entry itself durable, so the key cannot vanish in a crash while data
/// sealed with it survives.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    fs::File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_text() -> String {
        STANDARD.encode([7u8; KEY_LEN])
    }

    #[test]
    fn sealed_values_open_only_with_the_same_purpose_and_key() {
        let key = SealKey::from_base64(&key_text()).unwrap();
        let sealed = key.seal(b"kv/data/app", b"hunter2");
        assert_eq!(sealed.len(), NONCE_LEN + b"hunter2".len() + TAG_LEN);
        assert!(!sealed.windows(7).any(|window| window == b"hunter2"));
        assert_eq!(key.open(b"kv/data/app", &sealed), Some(b"hunter2".to_vec()));
        assert_eq!(key.open(b"kv/data/other", &sealed), None);
        let other_key = SealKey::generate().unwrap();
        assert_eq!(other_key.open(b"kv/data/app", &sealed), None);
    }

    #[test]
    fn audit_hmacs_are_keyed_and_apart_from_token_hashes() {
        let key = SealKey::from_base64(&key_text()).unwrap();
        let hmac = key.audit_hmac("hvs.secret");
        assert_eq!(hmac, key.audit_hmac("hvs.secret"));
        let hex = hmac.strip_prefix("hmac-sha256:").unwrap();
        assert_eq!(hex.len(), 64);
        assert_ne!(hex, key.token_hash("hvs.secret"));
        assert_ne!(hmac, key.audit_hmac("hvs.other"));
        assert_ne!(hmac, SealKey::generate().unwrap().audit_hmac("hvs.secret"));
    }

    #[test]
    fn forged_or_truncated_values_do_not_open() {
        let key = SealKey::generate().unwrap();
        let sealed = key.seal(b"purpose", b"secret value");
        for index in [0, NONCE_LEN, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            assert_eq!(
                key.open(b"purpose", &tampered),
                None,
                "byte {index} flipped"
            );
        }
        assert_eq!(key.open(b"purpose", &sealed[..sealed.len() - 1]), None);
        assert_eq!(
            key.open(b"purpose", &sealed[..NONCE_LEN + TAG_LEN - 1]),
            None
        );
        assert_eq!(key.open(b"purpose", b""), None);
    }

    #[test]
    fn sealing_twice_uses_fresh_nonces() {
        let key = SealKey::generate().unwrap();
        let first = key.seal(b"p", b"same");
        let second = key.seal(b"p", b"same");
        assert_ne!(first[..NONCE_LEN], second[..NONCE_LEN]);
        assert_eq!(key.open(b"p", &first), key.open(b"p", &second));
    }

    #[test]
    fn token_hash_is_keyed_lowercase_hex_sha256() {
        let key = SealKey::from_base64(&key_text()).unwrap();
        let hash = key.token_hash("hvs.example");
        assert_eq!(hash.len(), 64);
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_eq!(hash, key.token_hash("hvs.example"));
        assert_ne!(hash, key.token_hash("hvs.other"));
        let same_key_again = SealKey::from_base64(&key_text()).unwrap();
        assert_eq!(same_key_again.token_hash("hvs.example"), hash);
        let other_key = SealKey::generate().unwrap();
        assert_ne!(other_key.token_hash("hvs.example"), hash);
    }

    #[test]
    fn bad_key_text_gives_a_clear_error() {
        let empty = SealKey::from_base64("  \n").unwrap_err().to_string();
        assert!(empty.contains("empty"), "{empty}");
        let not_base64 = SealKey::from_base64("not base64!").unwrap_err().to_string();
        assert!(not_base64.contains("not valid base64"), "{not_base64}");
        let short = SealKey::from_base64(&STANDARD.encode([1u8; 16]))
            .unwrap_err()
            .to_string();
        assert!(short.contains("decodes to 16 bytes, not 32"), "{short}");
        assert!(
            short.contains("base64 encoding of 32 random bytes"),
            "{short}"
        );
        // Surrounding whitespace (a trailing newline from `base64`) is fine.
        assert!(SealKey::from_base64(&format!(" {}\n", key_text())).is_ok());
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let key = SealKey::from_base64(&key_text()).unwrap();
        assert_eq!(format!("{key:?}"), "SealKey { .. }");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seal.key");
        let created = SealKey::load_or_create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(STANDARD.decode(text.trim()).unwrap().len(), KEY_LEN);

        let loaded = SealKey::load_or_create(&path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            text,
            "file was rewritten"
        );
        let sealed = created.seal(b"p", b"v");
        assert_eq!(loaded.open(b"p", &sealed), Some(b"v".to_vec()));
        assert_eq!(loaded.token_hash("t"), created.token_hash("t"));
        assert_eq!(
            SealKey::from_base64(&text).unwrap().token_hash("t"),
            created.token_hash("t")
        );
        // Only the key file is left behind: no temporary files.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seal.key");
        fs::write(&path, key_text()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let error = SealKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("mode 644"), "{error}");
        assert!(error.contains("chmod 600"), "{error}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(SealKey::load_or_create(&path).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn bad_key_file_contents_name_the_file_and_the_problem() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seal.key");
        fs::write(&path, "c2hvcnQ=\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let error = SealKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("seal.key"), "{error}");
        assert!(error.contains("decodes to 5 bytes"), "{error}");
    }

    #[test]
    fn missing_key_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("seal.key");
        let error = SealKey::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("cannot create it in"), "{error}");
        assert!(error.contains("no-such-dir"), "{error}");
    }
}
