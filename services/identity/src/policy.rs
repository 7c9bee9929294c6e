//! Who may call each of identity's RPCs (see `shop_service_kit::policy`).

use shop_proto::identity::v1 as pb;
use shop_service_kit::policy::{Allow, GATEWAY, Policy};

/// Who may call each RPC (see `shop_service_kit::policy`).
pub const POLICY: Policy = Policy {
    service: pb::identity_service_server::SERVICE_NAME,
    callee: crate::SERVICE,
    rules: &[
        // Sign-in is rate limited at the gateway: only the gateway may ask.
        ("Register", GATEWAY),
        ("Login", GATEWAY),
        ("CompleteSecondFactor", GATEWAY),
        ("EnrolAtSignIn", GATEWAY),
        ("BeginTotp", GATEWAY),
        ("ConfirmTotp", GATEWAY),
        ("DisableTotp", GATEWAY),
        ("ListProviders", GATEWAY),
        ("StartExternalSignIn", GATEWAY),
        ("FinishExternalSignIn", GATEWAY),
        ("ListIdentities", GATEWAY),
        ("UnlinkIdentity", GATEWAY),
        ("ChangePassword", GATEWAY),
        ("Refresh", GATEWAY),
        ("Logout", GATEWAY),
        ("GetUser", GATEWAY),
        ("UpdateProfile", GATEWAY),
        ("ListUsers", GATEWAY),
        ("SetRole", GATEWAY),
        // Public keys, and the token endpoint whose client secret is the credential.
        ("RequestEmailVerification", GATEWAY),
        ("VerifyEmail", GATEWAY),
        ("RequestPasswordReset", GATEWAY),
        ("ResetPassword", GATEWAY),
        ("RequestEmailChange", GATEWAY),
        ("ConfirmEmailChange", GATEWAY),
        // Whom to write to (notification); whether an address is verified (order, when the
        // shop takes orders only from verified addresses).
        ("GetContact", Allow::Services(&["notification", "order"])),
        ("ListContacts", Allow::Services(&["notification"])),
        ("GetJwks", Allow::Anyone),
        ("IssueServiceToken", Allow::Anyone),
    ],
};
