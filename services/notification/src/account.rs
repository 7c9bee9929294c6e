//! An account's own choice of optional notices, as its owner reads and changes it: only
//! the caller's own (the request names no account), and a text message is chosen only when
//! the account has a number one can go to.

use std::sync::Arc;

use shop_proto::{
    identity::v1::{GetContactRequest, identity_service_client::IdentityServiceClient},
    notification::v1 as pb,
};
use shop_service_kit::{Refusal, Upstream};
use tonic::Status;

use crate::{
    domain::now_ms,
    grpc::timestamp,
    sms::international,
    storage::{PreferenceChange, PreferenceStore, Preferences},
};

pub struct Accounts {
    pub preferences: Arc<dyn PreferenceStore>,
    pub identity: IdentityServiceClient<Upstream>,
}

fn to_proto(p: Preferences, sms_to: Option<String>) -> pb::Preferences {
    pb::Preferences {
        shipping_sms: p.shipping_sms,
        stock_digest: p.stock_digest,
        sms_to: sms_to.unwrap_or_default(),
        updated_at: p.updated_at.and_then(timestamp),
    }
}

impl Accounts {
    /// Where `user_id`'s text messages go: the phone of its address, in international form.
    async fn sms_to(&self, user_id: &str) -> Result<Option<String>, Status> {
        let contact = self.identity.clone().get_contact(GetContactRequest { user_id: user_id.to_owned() }).await?;
        Ok(international(&contact.into_inner().phone))
    }

    pub async fn get(&self, user_id: &str) -> Result<pb::Preferences, Status> {
        let chosen = self.preferences.get(user_id).await.map_err(shop_service_kit::unexpected)?;
        Ok(to_proto(chosen, self.sms_to(user_id).await?))
    }

    pub async fn update(&self, user_id: &str, r: pb::UpdatePreferencesRequest) -> Result<pb::Preferences, Status> {
        let sms_to = self.sms_to(user_id).await?;
        if r.shipping_sms == Some(true) && sms_to.is_none() {
            let why = "needs a phone number in international form (+ and country code) in your address";
            return Err(Refusal::invalid("shipping_sms", why).into());
        }
        let change = PreferenceChange { shipping_sms: r.shipping_sms, stock_digest: r.stock_digest };
        let chosen = self.preferences.update(user_id, change, now_ms()).await.map_err(shop_service_kit::unexpected)?;
        tracing::info!(user_id, ?change, "notification preferences changed");
        Ok(to_proto(chosen, sms_to))
    }
}
