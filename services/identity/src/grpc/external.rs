//! The OpenID Connect RPCs' edge: inputs bounded, answers in the contract's shape.

use shop_proto::identity::v1 as pb;
use shop_service_kit::Refusal;

use crate::{
    accounts::Accounts,
    convert::{identity_to_proto, sign_in_response},
    domain::UserId,
    error::IdentityError,
    external::Finished,
};

/// The longest state, code or binding read (providers' codes are opaque but short).
const MAX_INPUT: usize = 2048;

/// `raw`, when given and no longer than a provider's values are.
pub fn bounded<'a>(field: &str, raw: &'a str) -> Result<&'a str, IdentityError> {
    if raw.is_empty() || raw.len() > MAX_INPUT {
        return Err(Refusal::invalid(field, format!("must be 1 to {MAX_INPUT} characters")).into());
    }
    Ok(raw)
}

pub fn providers(accounts: &Accounts) -> pb::Providers {
    let providers = accounts
        .providers
        .configs()
        .map(|c| pb::Provider { name: c.name.clone(), display_name: c.display_name.clone() })
        .collect();
    pb::Providers { providers }
}

pub async fn start(
    accounts: &Accounts,
    r: &pb::StartExternalSignInRequest,
    link_to: Option<UserId>,
) -> Result<pb::ExternalSignInStart, IdentityError> {
    let started = accounts.start_external(bounded("provider", &r.provider)?, link_to).await?;
    Ok(pb::ExternalSignInStart { authorization_url: started.url, binding: started.binding })
}

pub async fn finish(
    accounts: &Accounts,
    r: &pb::FinishExternalSignInRequest,
) -> Result<pb::ExternalSignInResult, IdentityError> {
    // A callback without its state, code or browser binding is a failed sign-in, not a
    // malformed request: the browser only followed the provider.
    let (Ok(state), Ok(code), Ok(binding)) =
        (bounded("state", &r.state), bounded("code", &r.code), bounded("binding", &r.binding))
    else {
        return Err(IdentityError::ExternalSignInFailed);
    };
    Ok(match accounts.finish_external(bounded("provider", &r.provider)?, state, code, binding).await? {
        Finished::SignIn(sign_in) => pb::ExternalSignInResult { auth: Some(sign_in_response(sign_in)), linked: None },
        Finished::Linked(identity) => {
            pb::ExternalSignInResult { auth: None, linked: Some(identity_to_proto(accounts, &identity)) }
        }
    })
}
