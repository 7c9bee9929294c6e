//! Identity's gRPC face: validation at the edge, callers from their tokens, proto ↔ domain.

use shop_service_kit::Refusal;
use shop_service_kit::auth::Authenticator;
use std::sync::Arc;

use shop_auth::{Role, Verifier};
use shop_proto::identity::v1::{self as pb, identity_service_server::IdentityService};
use shop_service_kit::Paging;
use shop_service_kit::policy::SERVICES;
use shop_types::Fields;
use tonic::{Request, Response, Status};

mod external;

use crate::{
    accounts::Accounts,
    clients::ServiceClients,
    convert::{auth_response, contact, identities, sign_in_response, user_to_proto},
    domain::{Email, Name, NewAccount, Password, Profile, UserId},
    error::IdentityError,
};

pub use crate::policy::POLICY;

pub struct IdentityGrpc {
    accounts: Arc<Accounts>,
    auth: Authenticator,
    clients: ServiceClients,
}

impl IdentityGrpc {
    pub fn new(accounts: Arc<Accounts>, verifier: Arc<Verifier>, clients: ServiceClients) -> Self {
        Self { accounts, auth: Authenticator::new(verifier), clients }
    }

    pub fn server(self) -> pb::identity_service_server::IdentityServiceServer<Self> {
        pb::identity_service_server::IdentityServiceServer::new(self)
    }
}

/// Longest email or link token read (a token is 43 characters).
const MAX_LINK_INPUT: usize = 320;

/// A link's token as given: empty or oversized is simply not a valid link.
fn link_token(raw: &str) -> Result<&str, IdentityError> {
    if raw.is_empty() || raw.len() > MAX_LINK_INPUT {
        return Err(IdentityError::InvalidLink);
    }
    Ok(raw)
}

fn user_id(field: &str, raw: &str) -> Result<UserId, IdentityError> {
    UserId::parse(raw).map_err(|e| IdentityError::from(Refusal::invalid(field, e)))
}

#[tonic::async_trait]
impl IdentityService for IdentityGrpc {
    #[tracing::instrument(skip_all)]
    async fn register(&self, req: Request<pb::RegisterRequest>) -> Result<Response<pb::AuthResponse>, Status> {
        let r = req.into_inner();
        let mut fields = Fields::default();
        let email = fields.check("email", Email::parse(&r.email));
        let password = fields.check("password", Password::parse(&r.password));
        let first_name = fields.check("first_name", Name::parse(&r.first_name));
        let last_name = fields.check("last_name", Name::parse(&r.last_name));
        fields.finish().map_err(Refusal::Invalid)?;
        let (Some(email), Some(password), Some(first_name), Some(last_name)) = (email, password, first_name, last_name)
        else {
            unreachable!("every field parsed when no error was collected");
        };
        let account = NewAccount { email, password, profile: Profile { first_name, last_name, address: None } };
        let (user, tokens) = self.accounts.register(account, Role::Customer, None).await?;
        Ok(Response::new(auth_response(&user, tokens)))
    }

    #[tracing::instrument(skip_all)]
    async fn login(&self, req: Request<pb::LoginRequest>) -> Result<Response<pb::AuthResponse>, Status> {
        let r = req.into_inner();
        Ok(Response::new(sign_in_response(self.accounts.login(&r.email, &r.password).await?)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_providers(&self, _: Request<pb::ListProvidersRequest>) -> Result<Response<pb::Providers>, Status> {
        Ok(Response::new(external::providers(&self.accounts)))
    }

    #[tracing::instrument(skip_all)]
    async fn start_external_sign_in(
        &self,
        req: Request<pb::StartExternalSignInRequest>,
    ) -> Result<Response<pb::ExternalSignInStart>, Status> {
        // A link is for the caller, signed in; a sign-in is for whoever is at the browser.
        let link_to = match req.get_ref().link {
            true => Some(user_id("user_id", &self.auth.user(&req).await?.user_id)?),
            false => None,
        };
        Ok(Response::new(external::start(&self.accounts, req.get_ref(), link_to).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn finish_external_sign_in(
        &self,
        req: Request<pb::FinishExternalSignInRequest>,
    ) -> Result<Response<pb::ExternalSignInResult>, Status> {
        Ok(Response::new(external::finish(&self.accounts, req.get_ref()).await?))
    }

    #[tracing::instrument(skip_all)]
    async fn list_identities(
        &self,
        req: Request<pb::ListIdentitiesRequest>,
    ) -> Result<Response<pb::Identities>, Status> {
        let caller = self.auth.user(&req).await?;
        let user = self.accounts.user(user_id("user_id", &caller.user_id)?).await?;
        Ok(Response::new(identities(&self.accounts, &user)))
    }

    #[tracing::instrument(skip_all)]
    async fn unlink_identity(
        &self,
        req: Request<pb::UnlinkIdentityRequest>,
    ) -> Result<Response<pb::Identities>, Status> {
        let caller = self.auth.user(&req).await?;
        let id = user_id("user_id", &caller.user_id)?;
        let user = self.accounts.unlink_identity(id, external::bounded("id", &req.get_ref().id)?).await?;
        Ok(Response::new(identities(&self.accounts, &user)))
    }

    #[tracing::instrument(skip_all)]
    async fn refresh(&self, req: Request<pb::RefreshRequest>) -> Result<Response<pb::AuthResponse>, Status> {
        let (user, tokens) = self.accounts.refresh(&req.get_ref().refresh_token).await?;
        Ok(Response::new(auth_response(&user, tokens)))
    }

    #[tracing::instrument(skip_all)]
    async fn logout(&self, req: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        self.accounts.logout(&caller, &req.get_ref().refresh_token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn get_user(&self, req: Request<pb::GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let caller = self.auth.user(&req).await?;
        let wanted =
            if req.get_ref().user_id.is_empty() { caller.user_id.as_str() } else { req.get_ref().user_id.as_str() };
        if wanted != caller.user_id && !caller.is_admin() {
            return Err(IdentityError::Refused(Refusal::Forbidden).into());
        }
        let user = self.accounts.user(user_id("user_id", wanted)?).await?;
        Ok(Response::new(user_to_proto(&user)))
    }

    #[tracing::instrument(skip_all)]
    async fn change_password(
        &self,
        req: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::AuthResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        if r.current_password.len() > 1024 {
            return Err(Refusal::invalid("current_password", "is not this account's password").into());
        }
        let new = Password::parse(&r.new_password).map_err(|e| Refusal::invalid("new_password", e))?;
        let id = user_id("user_id", &caller.user_id)?;
        let (user, tokens) = self.accounts.change_password(id, &r.current_password, new).await?;
        Ok(Response::new(auth_response(&user, tokens)))
    }

    #[tracing::instrument(skip_all)]
    async fn update_profile(&self, req: Request<pb::UpdateProfileRequest>) -> Result<Response<pb::User>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        let mut fields = Fields::default();
        let first_name = r.first_name.map(|n| fields.check("first_name", Name::parse(&n)));
        let last_name = r.last_name.map(|n| fields.check("last_name", Name::parse(&n)));
        let address = r.address.and_then(|a| {
            shop_types::AddressInput::from(a).parse("address").map_err(|errors| fields.extend(errors)).ok()
        });
        fields.finish().map_err(Refusal::Invalid)?;
        let user = self
            .accounts
            .update_profile(user_id("user_id", &caller.user_id)?, |profile| {
                if let Some(Some(name)) = first_name {
                    profile.first_name = name;
                }
                if let Some(Some(name)) = last_name {
                    profile.last_name = name;
                }
                if let Some(address) = address {
                    profile.address = Some(address);
                }
            })
            .await?;
        Ok(Response::new(user_to_proto(&user)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_users(&self, req: Request<pb::ListUsersRequest>) -> Result<Response<pb::ListUsersResponse>, Status> {
        self.auth.admin(&req).await?;
        let paging = Paging::from_proto(req.into_inner().page)?;
        let found = self.accounts.users(None, paging.clone()).await?;
        Ok(Response::new(pb::ListUsersResponse {
            users: found.items.iter().map(user_to_proto).collect(),
            page: Some(paging.info_of(&found)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_role(&self, req: Request<pb::SetRoleRequest>) -> Result<Response<pb::User>, Status> {
        self.auth.admin(&req).await?;
        let r = req.get_ref();
        let role = Role::from_proto(r.role())
            .ok_or_else(|| IdentityError::from(Refusal::invalid("role", "must be customer, vendor or admin")))?;
        let user = self.accounts.set_role(user_id("user_id", &r.user_id)?, role).await?;
        Ok(Response::new(user_to_proto(&user)))
    }

    async fn get_jwks(&self, _req: Request<pb::GetJwksRequest>) -> Result<Response<pb::Jwks>, Status> {
        Ok(Response::new(pb::Jwks { keys: self.accounts.jwks() }))
    }

    #[tracing::instrument(skip_all, fields(client_id = %req.get_ref().client_id, audience = %req.get_ref().audience))]
    async fn issue_service_token(
        &self,
        req: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<Response<pb::ServiceToken>, Status> {
        let r = req.into_inner();
        let callee = r.audience.as_str();
        if callee == "gateway" || !SERVICES.contains(&callee) {
            return Err(IdentityError::from(Refusal::invalid("audience", "must be a service that is called")).into());
        }
        if !self.clients.authenticate(&r.client_id, &r.client_secret) {
            tracing::warn!("service token refused: unknown client or wrong secret");
            return Err(Status::unauthenticated("invalid client credentials"));
        }
        let (access_token, expires_in) =
            self.accounts.keys.issue_service(&r.client_id, callee).map_err(IdentityError::from)?;
        Ok(Response::new(pb::ServiceToken { access_token, expires_in }))
    }

    #[tracing::instrument(skip_all)]
    async fn request_email_verification(
        &self,
        req: Request<pb::RequestEmailVerificationRequest>,
    ) -> Result<Response<pb::RequestEmailVerificationResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let sent = self.accounts.request_verification(user_id("user_id", &caller.user_id)?).await?;
        Ok(Response::new(pb::RequestEmailVerificationResponse { sent }))
    }

    #[tracing::instrument(skip_all)]
    async fn verify_email(&self, req: Request<pb::VerifyEmailRequest>) -> Result<Response<pb::User>, Status> {
        let token = link_token(&req.get_ref().token)?;
        let user = self.accounts.verify_email(token).await?;
        Ok(Response::new(user_to_proto(&user)))
    }

    #[tracing::instrument(skip_all)]
    async fn request_password_reset(
        &self,
        req: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        let email = req.into_inner().email;
        if email.len() > MAX_LINK_INPUT {
            return Err(Refusal::invalid("email", "is too long").into());
        }
        // Answered before the account is even looked up: known and unknown addresses get
        // the same answer in the same time, and the caller learns nothing.
        let accounts = self.accounts.clone();
        tokio::spawn(async move {
            if let Err(err) = accounts.request_password_reset(&email).await {
                tracing::warn!(error = %err, "a password reset link could not be made");
            }
        });
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn reset_password(
        &self,
        req: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        let r = req.into_inner();
        let token = link_token(&r.token)?;
        let new = Password::parse(&r.new_password).map_err(|e| Refusal::invalid("new_password", e))?;
        self.accounts.reset_password(token, new).await?;
        Ok(Response::new(pb::ResetPasswordResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn request_email_change(
        &self,
        req: Request<pb::RequestEmailChangeRequest>,
    ) -> Result<Response<pb::RequestEmailChangeResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.into_inner();
        if r.current_password.len() > 1024 {
            return Err(Refusal::invalid("current_password", "is not this account's password").into());
        }
        let new = Email::parse(&r.new_email).map_err(|e| Refusal::invalid("new_email", e))?;
        self.accounts.request_email_change(user_id("user_id", &caller.user_id)?, &r.current_password, new).await?;
        Ok(Response::new(pb::RequestEmailChangeResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_email_change(&self, req: Request<pb::VerifyEmailRequest>) -> Result<Response<pb::User>, Status> {
        let token = link_token(&req.get_ref().token)?;
        let user = self.accounts.confirm_email_change(token).await?;
        Ok(Response::new(user_to_proto(&user)))
    }

    #[tracing::instrument(skip_all)]
    async fn list_contacts(
        &self,
        req: Request<pb::ListContactsRequest>,
    ) -> Result<Response<pb::ListContactsResponse>, Status> {
        let r = req.into_inner();
        let role = Role::from_proto(r.role())
            .ok_or_else(|| IdentityError::from(Refusal::invalid("role", "must be customer, vendor or admin")))?;
        let paging = Paging::from_proto(r.page)?;
        let found = self.accounts.users(Some(role), paging.clone()).await?;
        Ok(Response::new(pb::ListContactsResponse {
            contacts: found.items.iter().map(contact).collect(),
            page: Some(paging.info_of(&found)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_contact(&self, req: Request<pb::GetContactRequest>) -> Result<Response<pb::Contact>, Status> {
        let user = self.accounts.user(user_id("user_id", &req.get_ref().user_id)?).await?;
        Ok(Response::new(contact(&user)))
    }

    #[tracing::instrument(skip_all)]
    async fn complete_second_factor(
        &self,
        req: Request<pb::CompleteSecondFactorRequest>,
    ) -> Result<Response<pb::AuthResponse>, Status> {
        let r = req.into_inner();
        let challenge = challenge(&r.challenge)?;
        let (user, tokens, codes) = self.accounts.complete_sign_in(challenge, &r.code, &r.recovery_code).await?;
        Ok(Response::new(pb::AuthResponse { recovery_codes: codes, ..auth_response(&user, tokens) }))
    }

    #[tracing::instrument(skip_all)]
    async fn enrol_at_sign_in(
        &self,
        req: Request<pb::EnrolAtSignInRequest>,
    ) -> Result<Response<pb::TotpEnrolment>, Status> {
        let (secret, otpauth_uri) = self.accounts.enrol_at_sign_in(challenge(&req.get_ref().challenge)?).await?;
        Ok(Response::new(pb::TotpEnrolment { secret, otpauth_uri }))
    }

    #[tracing::instrument(skip_all)]
    async fn begin_totp(&self, req: Request<pb::BeginTotpRequest>) -> Result<Response<pb::TotpEnrolment>, Status> {
        let caller = self.auth.user(&req).await?;
        let id = user_id("user_id", &caller.user_id)?;
        let (secret, otpauth_uri) = self.accounts.begin_totp(id, &req.get_ref().current_password).await?;
        Ok(Response::new(pb::TotpEnrolment { secret, otpauth_uri }))
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_totp(&self, req: Request<pb::ConfirmTotpRequest>) -> Result<Response<pb::RecoveryCodes>, Status> {
        let caller = self.auth.user(&req).await?;
        let codes = self.accounts.confirm_totp(user_id("user_id", &caller.user_id)?, &req.get_ref().code).await?;
        Ok(Response::new(pb::RecoveryCodes { codes }))
    }

    #[tracing::instrument(skip_all)]
    async fn disable_totp(
        &self,
        req: Request<pb::DisableTotpRequest>,
    ) -> Result<Response<pb::DisableTotpResponse>, Status> {
        let caller = self.auth.user(&req).await?;
        let r = req.get_ref();
        self.accounts.disable_totp(user_id("user_id", &caller.user_id)?, &r.current_password, &r.code).await?;
        Ok(Response::new(pb::DisableTotpResponse {}))
    }
}

/// A sign-in challenge as given: empty or oversized is simply not a valid one.
fn challenge(raw: &str) -> Result<&str, IdentityError> {
    if raw.is_empty() || raw.len() > MAX_LINK_INPUT {
        return Err(IdentityError::InvalidChallenge);
    }
    Ok(raw)
}
