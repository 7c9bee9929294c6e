//! What checking a caller's service token costs a service, per call: the check every RPC
//! behind a policy makes (a verified token is remembered until it expires, so the steady
//! state is the remembered case; the first call with a token pays the signature check).
//! `scripts/bench auth` runs it and relates it to the platform's measured throughput.

use std::{sync::Arc, time::Instant};

use shop_auth::{Signer, SigningKey, StaticKeys, Verifier, service};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let key = SigningKey::generate().expect("key");
    let signer = Signer::new(&key, std::time::Duration::from_secs(900));
    let verifier = Verifier::new(Arc::new(StaticKeys(vec![key.jwk()])));
    let validation = service::validation("inventory");
    let (token, _) = signer.issue_service("order", "inventory").expect("token");

    let rounds = 200_000u32;
    verifier.verify_service(&token, &validation).await.expect("valid");
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(verifier.verify_service(&token, &validation).await.expect("valid"));
    }
    let remembered = started.elapsed().as_nanos() / u128::from(rounds);

    let fresh = 2_000u32;
    let tokens: Vec<String> =
        (0..fresh).map(|_| signer.issue_service("order", "inventory").expect("token").0).collect();
    let started = Instant::now();
    for token in &tokens {
        std::hint::black_box(verifier.verify_service(token, &validation).await.expect("valid"));
    }
    let first = started.elapsed().as_nanos() / u128::from(fresh);
    println!("{remembered} {first}");
}
