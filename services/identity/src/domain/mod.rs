//! Identity domain: accounts and the rules for their fields. No transport or storage types.

mod account;
mod password;

pub use account::{Address, Email, LinkedIdentity, Mfa, Name, NewAccount, Profile, User, UserId};
pub use password::Password;
pub use shop_auth::Role;
