//! `podpass token mint`: sign a service-account JWT with a key given or freshly generated.

use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
};
use podpass_core::claims::ClaimShape;
use podpass_core::duration::parse_duration_str;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::keys::der_to_pem;
use podpass_core::mint::{
    DEFAULT_PROJECTED_ISSUER, LEGACY_ISSUER, SigningKey, TokenSpec, mint, service_account_uid,
};

use super::Outcome;
use crate::cli::MintArgs;
use crate::files::{InputError, now, read_text};
use crate::style::{DIM, paint};

/// `podpass token mint`.
pub fn mint_command(args: &MintArgs) -> Result<Outcome, InputError> {
    let algorithm =
        SigningAlgorithm::from_name(&args.alg.to_ascii_uppercase()).ok_or_else(|| {
            InputError::new(format!(
                "--alg: {:?} is not one of {}",
                args.alg,
                SigningAlgorithm::accepted_list()
            ))
        })?;
    let ttl = parse_duration_str(&args.ttl)
        .ok()
        .filter(|t| *t > 0)
        .ok_or_else(|| InputError::new(format!("--ttl: invalid duration {:?}", args.ttl)))?;
    let issued_at = now(args.now.as_deref())?;
    let pem = match (&args.key, &args.generate_key) {
        (Some(path), _) => read_text(path)?,
        (None, Some(out)) => generate(algorithm, out)?,
        (None, None) => {
            return Err(InputError::new(
                "give the signing key: --key PEM or --generate-key OUT",
            ));
        }
    };
    let key =
        SigningKey::from_pem(&pem, algorithm, args.kid.clone()).map_err(|e| match &args.key {
            Some(path) => InputError::at(path, e),
            None => InputError::new(e.to_string()),
        })?;
    let spec = TokenSpec {
        namespace: args.namespace.clone(),
        service_account: args.name.clone(),
        uid: args
            .uid
            .clone()
            .unwrap_or_else(|| service_account_uid(&args.namespace, &args.name)),
        audiences: args.audiences.clone(),
        issuer: args.issuer.clone().unwrap_or_else(|| {
            if args.legacy {
                LEGACY_ISSUER.to_string()
            } else {
                DEFAULT_PROJECTED_ISSUER.to_string()
            }
        }),
        issued_at,
        ttl_seconds: ttl,
        shape: if args.legacy {
            ClaimShape::Legacy
        } else {
            ClaimShape::Projected
        },
        pod_name: (!args.legacy).then(|| {
            args.pod
                .clone()
                .unwrap_or_else(|| format!("{}-0", args.name))
        }),
    };
    let jwt = mint(&spec, &key).map_err(|e| InputError::new(e.to_string()))?;
    anstream::println!("{jwt}");
    Ok(Outcome::Success)
}

/// Generates a key pair for `algorithm`'s family, writes `<out>.key.pem` (private, PKCS#8)
/// and `<out>.pub.pem` (public, SPKI), and returns the private PEM.
fn generate(algorithm: SigningAlgorithm, out: &Path) -> Result<String, InputError> {
    let failed = |what: &str| InputError::new(format!("--generate-key: cannot generate {what}"));
    let (private_der, public_der): (Vec<u8>, Vec<u8>) = match algorithm {
        SigningAlgorithm::ES256 | SigningAlgorithm::ES384 => {
            let curve = if algorithm == SigningAlgorithm::ES256 {
                &ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &ECDSA_P384_SHA384_FIXED_SIGNING
            };
            let document = EcdsaKeyPair::generate_pkcs8(curve, &SystemRandom::new())
                .map_err(|_| failed("an ECDSA key"))?;
            let pair = EcdsaKeyPair::from_pkcs8(curve, document.as_ref())
                .map_err(|_| failed("an ECDSA key"))?;
            let public = pair
                .public_key()
                .as_der()
                .map_err(|_| failed("an ECDSA public key"))?;
            (document.as_ref().to_vec(), public.as_ref().to_vec())
        }
        _ => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| failed("an RSA key"))?;
            let private: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
                pair.as_der().map_err(|_| failed("an RSA key"))?;
            let public = pair
                .public_key()
                .as_der()
                .map_err(|_| failed("an RSA public key"))?;
            (private.as_ref().to_vec(), public.as_ref().to_vec())
        }
    };
    let private_pem = format!("{}\n", der_to_pem("PRIVATE KEY", &private_der));
    let private_path = with_suffix(out, ".key.pem");
    let public_path = with_suffix(out, ".pub.pem");
    // `--generate-key keys/sa` should work in a fresh checkout: make the directory (0700, as
    // it holds a private key).
    if let Some(dir) = private_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| InputError::at(dir, format!("cannot create the directory: {e}")))?;
    }
    write_private(&private_path, &private_pem)?;
    std::fs::write(
        &public_path,
        format!("{}\n", der_to_pem("PUBLIC KEY", &public_der)),
    )
    .map_err(|e| InputError::at(&public_path, format!("cannot write: {e}")))?;
    anstream::eprintln!(
        "{}",
        paint(
            DIM,
            format!(
                "wrote {} (keep it private) and {} (add it to the mount's pem_keys)",
                private_path.display(),
                public_path.display()
            )
        )
    );
    Ok(private_pem)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes a private key readable by its owner only (on Unix).
fn write_private(path: &Path, text: &str) -> Result<(), InputError> {
    let error = |e: std::io::Error| InputError::at(path, format!("cannot write: {e}"));
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(error)?;
        file.write_all(text.as_bytes()).map_err(error)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).map_err(error)
    }
}
