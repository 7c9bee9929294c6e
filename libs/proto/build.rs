//! Generates Rust types, clients and servers from `proto/shop/**.proto`.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "shop/common/v1/common.proto",
    "shop/identity/v1/identity.proto",
    "shop/catalog/v1/catalog.proto",
    "shop/inventory/v1/inventory.proto",
    "shop/order/v1/order.proto",
    "shop/payment/v1/payment.proto",
    "shop/notification/v1/notification.proto",
    "shop/analytics/v1/analytics.proto",
    "shop/events/v1/events.proto",
];

/// Messages with a password, token or secret in them.
const REDACTED: &[&str] = &[
    ".shop.identity.v1.RegisterRequest",
    ".shop.identity.v1.LoginRequest",
    ".shop.identity.v1.RefreshRequest",
    ".shop.identity.v1.LogoutRequest",
    ".shop.identity.v1.AuthResponse",
    ".shop.identity.v1.CompleteSecondFactorRequest",
    ".shop.identity.v1.EnrolAtSignInRequest",
    ".shop.identity.v1.TotpEnrolment",
    ".shop.identity.v1.BeginTotpRequest",
    ".shop.identity.v1.ConfirmTotpRequest",
    ".shop.identity.v1.RecoveryCodes",
    ".shop.identity.v1.DisableTotpRequest",
    ".shop.identity.v1.IssueServiceTokenRequest",
    ".shop.identity.v1.ServiceToken",
    ".shop.identity.v1.VerifyEmailRequest",
    ".shop.identity.v1.ResetPasswordRequest",
    ".shop.identity.v1.RequestEmailChangeRequest",
    ".shop.events.v1.EmailLink",
    ".shop.payment.v1.ChargeRequest",
    ".shop.payment.v1.HandleWebhookRequest",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not when it was compiled: a build cache shared by several
    // checkouts reuses this script's binary for all of them.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| root.join(p)).collect();
    // Relative to this package, so that a build cache shared by several checkouts (cargo
    // hashes workspace members by their place in the workspace) watches this checkout's files.
    for proto in PROTOS {
        println!("cargo:rerun-if-changed=../../proto/{proto}");
    }
    let mut config = prost_build::Config::new();
    // Messages that carry a credential get a `Debug` that hides it (in `src/lib.rs`).
    config.skip_debug(REDACTED);
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    let includes = [root];
    tonic_prost_build::configure()
        // RPCs a service does not serve yet answer UNIMPLEMENTED instead of failing to build.
        .generate_default_stubs(true)
        .file_descriptor_set_path(out.join("shop_descriptor.bin"))
        .compile_with_config(config, &files, &includes)?;
    Ok(())
}
