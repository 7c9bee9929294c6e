//! Accounts made at start-up: the configured admin (every mode), and the demo accounts
//! (all-in-one). Existing accounts are never changed.

use shop_auth::Role;

use crate::{
    accounts::{Accounts, Origin},
    domain::{Email, Name, NewAccount, Password, Profile, UserId},
    error::IdentityError,
};

/// Demo sign-ins (listed in the README): email, password, role, id, first name.
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str, &str); 3] = [
    ("admin@shop.local", "admin-demo-password", Role::Admin, shop_platform::demo::ADMIN_ID, "Ada"),
    ("vendor@shop.local", "vendor-demo-password", Role::Vendor, shop_platform::demo::VENDOR_ID, "Vera"),
    ("customer@shop.local", "customer-demo-password", Role::Customer, shop_platform::demo::CUSTOMER_ID, "Cole"),
];

/// Creates the account unless one with this email exists.
pub async fn ensure_account(
    accounts: &Accounts,
    email: &str,
    password: &str,
    role: Role,
    id: Option<UserId>,
    first_name: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("account email {email:?} {e}"))?;
    if accounts.users.by_email(&email).await?.is_some() {
        return Ok(());
    }
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("password of {} {e}", email.as_str()))?;
    let profile = Profile {
        first_name: Name::parse(first_name).map_err(anyhow::Error::msg)?,
        last_name: Name::default(),
        address: None,
    };
    match accounts.create(NewAccount { email, password, profile }, role, id, Origin::Configured).await {
        // Another replica made it first.
        Ok(_) | Err(IdentityError::EmailTaken) => Ok(()),
        Err(err) => Err(anyhow::anyhow!("creating an account: {err}")),
    }
}

pub async fn demo_accounts(accounts: &Accounts) -> anyhow::Result<()> {
    for (email, password, role, id, name) in DEMO_ACCOUNTS {
        let id = UserId::parse(id).map_err(anyhow::Error::msg)?;
        ensure_account(accounts, email, password, role, Some(id), name).await?;
    }
    Ok(())
}
