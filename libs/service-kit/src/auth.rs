//! Who is calling a service: the user whose token the request carries, verified the same
//! way everywhere (see `shop_auth`).

use std::sync::Arc;

use shop_auth::{AuthError, Caller, Verifier};
use shop_platform::{ApiError, ErrorKind};
use tonic::Request;

use crate::{client::Clients, errors::Refusal};

/// Finds the caller of a gRPC request.
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<Verifier>,
}

impl Authenticator {
    pub fn new(verifier: Arc<Verifier>) -> Self {
        Self { verifier }
    }

    /// The signed-in user making `req`.
    pub async fn user<T>(&self, req: &Request<T>) -> Result<Caller, Refusal> {
        Ok(self.verifier.caller(req.metadata()).await?)
    }

    /// The user making `req`, if it carries a token (a bad token is refused all the same).
    pub async fn maybe_user<T>(&self, req: &Request<T>) -> Result<Option<Caller>, Refusal> {
        match self.verifier.caller(req.metadata()).await {
            Ok(caller) => Ok(Some(caller)),
            Err(AuthError::Missing) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The caller, if they are an admin.
    pub async fn admin<T>(&self, req: &Request<T>) -> Result<Caller, Refusal> {
        let caller = self.user(req).await?;
        if caller.is_admin() { Ok(caller) } else { Err(Refusal::Forbidden) }
    }
}

/// What a request without a valid token gets.
pub fn unauthenticated() -> ApiError {
    ApiError::new(ErrorKind::Unauthenticated, "authentication required")
}

/// Token verification with keys fetched from identity at `url` through `clients`.
pub fn identity_verifier(clients: &Clients, url: &str) -> anyhow::Result<Arc<Verifier>> {
    Ok(Arc::new(Verifier::new(Arc::new(IdentityJwks(
        shop_proto::identity::v1::identity_service_client::IdentityServiceClient::new(
            // Public keys are open to all: fetched without a service token.
            clients.public().upstream("identity", url)?,
        ),
    )))))
}

/// Identity's `GetJwks`, where the public keys come from.
struct IdentityJwks(shop_proto::identity::v1::identity_service_client::IdentityServiceClient<crate::Upstream>);

#[async_trait::async_trait]
impl shop_auth::KeySource for IdentityJwks {
    async fn jwks(&self) -> anyhow::Result<Vec<shop_proto::identity::v1::Jwk>> {
        let request = shop_proto::identity::v1::GetJwksRequest {};
        Ok(self.0.clone().get_jwks(request).await?.into_inner().keys)
    }
}
